using System.Globalization;

namespace ActorTrainer.Cli.CommandLine;

/// <summary>
/// Typed option values for the diagnostic commands: each reader parses with the invariant culture, checks its
/// range and throws a <see cref="UsageException"/> naming the option and the offending value.
/// </summary>
internal static class ArgValues
{
    /// <summary>--name as an integer in [min, max], or the default when absent.</summary>
    public static int Int(this ArgList args, string name, int @default, int min = int.MinValue, int max = int.MaxValue)
    {
        string? v = args.Get(name);
        if (v is null) return @default;
        return ParseInt(v, name, min, max);
    }

    /// <summary>--name as a finite number in [min, max], or the default when absent.</summary>
    public static double Double(this ArgList args, string name, double @default,
        double min = double.NegativeInfinity, double max = double.PositiveInfinity) =>
        args.OptionalDouble(name, min, max) ?? @default;

    /// <summary>--name as a finite number in [min, max], or null when absent.</summary>
    public static double? OptionalDouble(this ArgList args, string name,
        double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        string? v = args.Get(name);
        return v is null ? null : ParseDouble(v, name, min, max);
    }

    /// <summary>--name as a comma-separated list of integers in [min, max] (at least one), or the default.</summary>
    public static int[] IntList(this ArgList args, string name, int[] @default, int min = int.MinValue, int max = int.MaxValue)
    {
        string? v = args.Get(name);
        if (v is null) return @default;
        return Split(v, name).Select(s => ParseInt(s, name, min, max)).ToArray();
    }

    /// <summary>--name as a comma-separated list of finite numbers in [min, max] (at least one), or the default.</summary>
    public static double[] DoubleList(this ArgList args, string name, double[] @default,
        double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        string? v = args.Get(name);
        if (v is null) return @default;
        return Split(v, name).Select(s => ParseDouble(s, name, min, max)).ToArray();
    }

    /// <summary>--name as one of the enum's names (case-insensitive, digits refused), or the default.</summary>
    public static T Enum<T>(this ArgList args, string name, T @default) where T : struct, System.Enum
    {
        string? v = args.Get(name);
        return v is null ? @default : ParseEnum<T>(v, name);
    }

    /// <summary>--name as a comma-separated list of enum names, or the default.</summary>
    public static T[] EnumList<T>(this ArgList args, string name, T[] @default) where T : struct, System.Enum
    {
        string? v = args.Get(name);
        return v is null ? @default : Split(v, name).Select(s => ParseEnum<T>(s, name)).ToArray();
    }

    /// <summary>--name as a non-empty string, or the default.</summary>
    public static string? String(this ArgList args, string name, string? @default = null)
    {
        if (!args.Has(name)) return @default;
        string? v = args.Get(name);
        if (string.IsNullOrWhiteSpace(v)) throw new UsageException($"option --{name} needs a value");
        return v;
    }

    private static int ParseInt(string v, string name, int min, int max)
    {
        if (!int.TryParse(v.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int x))
            throw new UsageException($"--{name}: '{v}' is not an integer");
        if (x < min || x > max)
            throw new UsageException($"--{name}: {x} is out of range (must be {Range(min, max)})");
        return x;
    }

    private static double ParseDouble(string v, string name, double min, double max)
    {
        if (!double.TryParse(v.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x))
            throw new UsageException($"--{name}: '{v}' is not a finite number");
        if (x < min || x > max)
            throw new UsageException($"--{name}: {x.ToString(CultureInfo.InvariantCulture)} is out of range (must be {Range(min, max)})");
        return x;
    }

    private static T ParseEnum<T>(string v, string name) where T : struct, System.Enum =>
        System.Enum.TryParse<T>(v.Trim(), ignoreCase: true, out var x) && !int.TryParse(v, out _) ? x
            : throw new UsageException(
                $"--{name}: unknown value '{v}' (expected one of: {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))})");

    private static string[] Split(string v, string name)
    {
        var parts = v.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 0 || parts.Any(p => p.Length == 0))
            throw new UsageException($"--{name}: '{v}' is not a comma-separated list (e.g. 1,2,3)");
        return parts;
    }

    private static string Range(double min, double max) =>
        (double.IsNegativeInfinity(min) || min == int.MinValue, double.IsPositiveInfinity(max) || max == int.MaxValue) switch
        {
            (true, true) => "any value",
            (false, true) => $"≥ {min.ToString(CultureInfo.InvariantCulture)}",
            (true, false) => $"≤ {max.ToString(CultureInfo.InvariantCulture)}",
            _ => $"in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]",
        };
}
