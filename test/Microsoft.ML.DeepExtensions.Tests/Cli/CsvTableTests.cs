using DeepExtensions.Cli.Commands;
using DeepExtensions.Cli.Csv;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

[TestClass]
public sealed class CsvTableTests
{
    [TestMethod]
    public void FieldsAreSplitAsTextLoaderSplitsThem()
    {
        using var folder = new TempFolder();
        var path = folder.Write("q.csv", " a , b ,c\n\"x, y\",2,\n\"say \"\"hi\"\"\", 3 ,?\n\n  z  ,4,5\n");

        var table = CsvTable.Read(path, "--data");

        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, table.Header.ToArray());
        Assert.AreEqual(3, table.Rows.Count, "the empty line is skipped");
        CollectionAssert.AreEqual(new[] { "x, y", "2", "" }, table.Rows[0]);
        CollectionAssert.AreEqual(new[] { "say \"hi\"", "3 ", "?" }, table.Rows[1]);
        CollectionAssert.AreEqual(new[] { "z  ", "4", "5" }, table.Rows[2], "leading spaces dropped, trailing kept");
        CollectionAssert.AreEqual(new[] { 2, 3, 5 }, table.LineNumbers.ToArray());

        var kinds = CsvSchemaInference.Infer(table).Select(c => c.Kind).ToArray();
        CollectionAssert.AreEqual(new[] { CsvColumnKind.Text, CsvColumnKind.Numeric, CsvColumnKind.Numeric }, kinds);
    }

    [TestMethod]
    public void DuplicateHeaderNamesAreADataError()
    {
        using var folder = new TempFolder();
        var error = Assert.ThrowsExactly<CliException>(() => CsvTable.Read(folder.Write("d.csv", "a,b,a\n1,2,3\n"), "--data"));
        Assert.AreEqual(ExitCodes.Data, error.ExitCode);
        StringAssert.Contains(error.Message, "'a' more than once");
    }
}
