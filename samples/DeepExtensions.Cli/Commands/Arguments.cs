namespace DeepExtensions.Cli.Commands;

/// <summary>One option of a command: <c>--name VALUE</c>, or a flag when <see cref="Value"/> is null.</summary>
/// <param name="Name">The name without dashes.</param>
/// <param name="Value">The placeholder shown in help (<c>FILE</c>, <c>N</c>), or null for a flag.</param>
/// <param name="Help">One line of help.</param>
/// <param name="Required">Whether the command fails without it.</param>
public sealed record CliOption(string Name, string? Value, string Help, bool Required = false)
{
    public bool IsFlag => Value is null;

    public string Usage => IsFlag ? $"--{Name}" : $"--{Name} {Value}";
}

/// <summary>
/// The options of one command line, parsed by hand: <c>--name value</c>, <c>--name=value</c> and flags.
/// Unknown options, missing values, repeated options and stray words are usage errors.
/// </summary>
public sealed class Arguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private Arguments()
    {
    }

    /// <summary>True when <c>--help</c> or <c>-h</c> was given; nothing else is checked then.</summary>
    public bool Help { get; private init; }

    public static Arguments Parse(string command, IReadOnlyList<string> args, IReadOnlyList<CliOption> options)
    {
        if (args.Any(a => a is "--help" or "-h"))
            return new Arguments { Help = true };

        var parsed = new Arguments();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw CliException.UsageError($"{command}: unexpected argument '{arg}' (see 'deepext {command} --help')");

            string name = arg[2..];
            string? inlineValue = null;
            int equals = name.IndexOf('=');
            if (equals >= 0)
            {
                inlineValue = name[(equals + 1)..];
                name = name[..equals];
            }

            var option = options.FirstOrDefault(o => o.Name == name)
                ?? throw CliException.UsageError($"{command}: unknown option '--{name}' (see 'deepext {command} --help')");
            if (parsed._values.ContainsKey(name) || parsed._flags.Contains(name))
                throw CliException.UsageError($"{command}: --{name} is given more than once");

            if (option.IsFlag)
            {
                if (inlineValue is not null)
                    throw CliException.UsageError($"{command}: --{name} takes no value");
                parsed._flags.Add(name);
                continue;
            }

            string? value = inlineValue;
            if (value is null)
            {
                if (i + 1 >= args.Count || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
                    throw CliException.UsageError($"{command}: --{name} needs a value ({option.Value})");
                value = args[++i];
            }
            parsed._values[name] = value;
        }

        foreach (var option in options.Where(o => o.Required && !parsed._values.ContainsKey(o.Name)))
            throw CliException.UsageError($"{command}: {option.Usage} is required (see 'deepext {command} --help')");
        return parsed;
    }

    /// <summary>The value of <c>--name</c>, or null when it was not given.</summary>
    public string? Get(string name) => _values.TryGetValue(name, out var value) ? value : null;

    /// <summary>The value of a required option (checked by <see cref="Parse"/>).</summary>
    public string Require(string name) => _values[name];

    /// <summary>Whether the flag <c>--name</c> was given.</summary>
    public bool Has(string name) => _flags.Contains(name);

    /// <summary>
    /// Parses a command's arguments, or writes its help to <paramref name="output"/> and returns null
    /// when they ask for it (the command then ends successfully).
    /// </summary>
    public static Arguments? ParseOrShowHelp(string command, IReadOnlyList<string> args, IReadOnlyList<CliOption> options, string summary, TextWriter output)
    {
        var arguments = Parse(command, args, options);
        if (!arguments.Help)
            return arguments;
        output.WriteLine(HelpText(command, summary, options));
        return null;
    }

    /// <summary>The help text of a command: its usage line, then one line per option.</summary>
    public static string HelpText(string command, string summary, IReadOnlyList<CliOption> options)
    {
        var lines = new List<string>
        {
            $"Usage: deepext {command} {string.Join(" ", options.Select(o => o.Required ? o.Usage : $"[{o.Usage}]"))}",
            "",
            summary,
            "",
            "Options:",
        };
        int width = options.Max(o => o.Usage.Length) + 2;
        lines.AddRange(options.Select(o => $"  {o.Usage.PadRight(width)}{o.Help}"));
        lines.Add($"  {"--help".PadRight(width)}Show this help.");
        return string.Join(Environment.NewLine, lines);
    }
}
