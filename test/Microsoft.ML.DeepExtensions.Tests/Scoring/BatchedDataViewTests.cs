using System.Collections.Concurrent;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Scoring;

namespace Microsoft.ML.DeepExtensions.Tests.Scoring;

/// <summary>
/// The batched view with batches that run ahead: the model part of one batch on a worker thread while the next batch is read
/// and prepared; rows, order and values must be those of the plain serial computation.
/// </summary>
[TestClass]
public sealed class BatchedDataViewTests
{
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void Transform_GivesEveryRowItsOwnValue_InOrder(bool runsAhead)
    {
        var log = new ConcurrentQueue<string>();
        var view = Doubled(Enumerable.Range(1, 11), capacity: 3, runsAhead, log);
        CollectionAssert.AreEqual(Enumerable.Range(1, 11).Select(v => 2f * v).ToArray(), Read(view).Output);
        // A second pass over the same view gives the same.
        CollectionAssert.AreEqual(Enumerable.Range(1, 11).Select(v => 2f * v).ToArray(), Read(view).Output);
    }

    [TestMethod]
    public void RunAhead_PreparesAndFinishesOnTheReadingThread_AndRunsTheModelOnAWorker()
    {
        var log = new ConcurrentQueue<string>();
        int reader = Environment.CurrentManagedThreadId;
        var view = Doubled(Enumerable.Range(1, 7), capacity: 2, runsAhead: true, log);
        var (values, _) = Read(view);
        Assert.AreEqual(7, values.Length);
        var entries = log.ToArray();
        foreach (var entry in entries)
        {
            var parts = entry.Split(' ');
            int thread = int.Parse(parts[2]);
            if (parts[0] is "run" or "ran")
                Assert.AreNotEqual(reader, thread, $"'{entry}': the model part runs on a worker");
            else
                Assert.AreEqual(reader, thread, $"'{entry}': prepare and finish run on the reading thread");
        }
        // Each batch goes prepare, run, finish; batch 2 (rows 5, 6) is prepared before batch 1 (rows 3, 4) is finished.
        var order = entries.Select(e => string.Join(' ', e.Split(' ').Take(2))).ToList();
        foreach (var first in new[] { "1", "3", "5", "7" })
        {
            Assert.IsTrue(order.IndexOf($"prepare {first}") < order.IndexOf($"run {first}"), $"batch from row {first}: prepare, then run");
            Assert.IsTrue(order.IndexOf($"run {first}") < order.IndexOf($"finish {first}"), $"batch from row {first}: run, then finish");
        }
        Assert.IsTrue(order.IndexOf("prepare 5") < order.IndexOf("finish 3"), "the next batch is read and prepared while the current one runs");
    }

    [TestMethod]
    public void RunAhead_AnExceptionOfTheModelComesOutOfMoveNext_AsItWasThrown()
    {
        var view = Doubled(Enumerable.Range(1, 9), capacity: 2, runsAhead: true, new ConcurrentQueue<string>(), failAt: 5);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => Read(view));
        StringAssert.Contains(error.Message, "row 5");
    }

    [TestMethod]
    public void RunAhead_DisposingEarly_WaitsForTheBatchRunningAhead()
    {
        var log = new ConcurrentQueue<string>();
        var view = Doubled(Enumerable.Range(1, 9), capacity: 2, runsAhead: true, log, runDelayMs: 50);
        using (var cursor = view.GetRowCursor(view.Schema))
        {
            Assert.IsTrue(cursor.MoveNext());
        }
        // Rows 3 and 4 were running ahead when the cursor went; it must have waited for them before disposing the batches.
        var order = log.Select(e => string.Join(' ', e.Split(' ').Take(2))).ToList();
        Assert.IsTrue(order.Contains("ran 3"), "the batch running ahead ended");
        Assert.IsTrue(order.IndexOf("ran 3") < order.FindIndex(e => e.StartsWith("dispose", StringComparison.Ordinal)), "the batches are disposed after the run ended");
    }

    private static (float[] Output, float[] Input) Read(IDataView view)
    {
        var outputs = new List<float>();
        var inputs = new List<float>();
        using var cursor = view.GetRowCursor(view.Schema);
        var getOutput = cursor.GetGetter<float>(view.Schema["Output"]);
        var getInput = cursor.GetGetter<float>(view.Schema["Value"]);
        float output = 0, input = 0;
        while (cursor.MoveNext())
        {
            getOutput(ref output);
            getInput(ref input);
            Assert.AreEqual(2 * input, output, $"row {cursor.Position}: the output of its own input");
            outputs.Add(output);
            inputs.Add(input);
        }
        return (outputs.ToArray(), inputs.ToArray());
    }

    private static IDataView Doubled(IEnumerable<int> values, int capacity, bool runsAhead, ConcurrentQueue<string> log, int failAt = -1, int runDelayMs = 0)
    {
        var input = new MLContext(seed: 1).Data.LoadFromEnumerable(values.Select(v => new Row { Value = v }).ToArray());
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input.Schema);
        builder.AddColumn("Output", NumberDataViewType.Single);
        return new BatchedDataView(input, builder.ToSchema(), new[] { "Value" },
            (row, size) => new DoublingBatch(row, size, runsAhead, log, failAt, runDelayMs), capacity);
    }

    private sealed class Row
    {
        public float Value { get; set; }
    }

    /// <summary>Output = 2 × Value, split into prepare (copy in), run (double, on the worker) and finish (copy out), logging each step's thread.</summary>
    private sealed class DoublingBatch : RowBatch
    {
        private readonly ValueGetter<float> _getValue;
        private readonly float[] _read, _prepared, _ran, _outputs;
        private readonly bool _runsAhead;
        private readonly ConcurrentQueue<string> _log;
        private readonly int _failAt, _runDelayMs;

        public DoublingBatch(DataViewRow row, int capacity, bool runsAhead, ConcurrentQueue<string> log, int failAt, int runDelayMs)
            : base(capacity)
        {
            _getValue = row.GetGetter<float>(row.Schema["Value"]);
            _read = new float[capacity];
            _prepared = new float[capacity];
            _ran = new float[capacity];
            _outputs = new float[capacity];
            _runsAhead = runsAhead;
            _log = log;
            _failAt = failAt;
            _runDelayMs = runDelayMs;
        }

        public override bool RunsAhead => _runsAhead;

        public override void Read(int slot) => _getValue(ref _read[slot]);

        public override void Compute(int rows)
        {
            Prepare(rows);
            Run(rows);
            Finish(rows);
        }

        public override void Prepare(int rows)
        {
            Array.Copy(_read, _prepared, rows);
            Log("prepare");
        }

        public override void Run(int rows)
        {
            Log("run");
            if (_runDelayMs > 0)
                Thread.Sleep(_runDelayMs);
            for (int i = 0; i < rows; i++)
            {
                if (_prepared[i] == _failAt)
                    throw new InvalidDataException($"row {_failAt} cannot be scored");
                _ran[i] = 2 * _prepared[i];
            }
            Log("ran");
        }

        public override void Finish(int rows)
        {
            Log("finish");
            Array.Copy(_ran, _outputs, rows);
        }

        public override Delegate CreateGetter(DataViewSchema.Column column) => (ValueGetter<float>)((ref float value) => value = _outputs[Current]);

        public override void Dispose() => _log.Enqueue($"dispose - {Environment.CurrentManagedThreadId}");

        private void Log(string step) => _log.Enqueue($"{step} {_prepared[0]} {Environment.CurrentManagedThreadId}");
    }
}
