using System.Globalization;

namespace ActorTrainer.Cli.CommandLine;

/// <summary>
/// Parsers of option values, shared by flags and their reference.conf defaults: invariant culture, range
/// checked, and every failure a <see cref="UsageException"/> naming the source (e.g. "--hidden").
/// </summary>
internal static class Values
{
    public static Func<string, string, int> Int(int min = int.MinValue, int max = int.MaxValue) =>
        (v, src) => CheckRange(ParseInt(v, src), src, min, max);

    public static Func<string, string, double> Double(double min = double.NegativeInfinity, double max = double.PositiveInfinity) =>
        (v, src) => CheckRange(ParseDouble(v, src), src, min, max);

    /// <summary>A number, or null for "" / none.</summary>
    public static Func<string, string, double?> OptionalDouble(double min = double.NegativeInfinity, double max = double.PositiveInfinity) =>
        (v, src) => IsNone(v) ? null : CheckRange(ParseDouble(v, src), src, min, max);

    public static Func<string, string, int[]> IntList(int min = int.MinValue, int max = int.MaxValue) =>
        (v, src) => Split(v, src).Select(s => CheckRange(ParseInt(s, src), src, min, max)).ToArray();

    public static Func<string, string, double[]> DoubleList(double min = double.NegativeInfinity, double max = double.PositiveInfinity) =>
        (v, src) => Split(v, src).Select(s => CheckRange(ParseDouble(s, src), src, min, max)).ToArray();

    /// <summary>One of the enum's names (case-insensitive, digits refused).</summary>
    public static T Enum<T>(string v, string src) where T : struct, System.Enum =>
        System.Enum.TryParse<T>(v.Trim(), ignoreCase: true, out var x) && !int.TryParse(v, out _) ? x
            : throw new UsageException($"{src}: unknown value '{v}' (expected one of: {string.Join(", ", Names<T>())})");

    public static T[] EnumList<T>(string v, string src) where T : struct, System.Enum =>
        Split(v, src).Select(s => Enum<T>(s, src)).ToArray();

    public static IEnumerable<string> Names<T>() where T : struct, System.Enum =>
        System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant());

    /// <summary>One of <paramref name="allowed"/>, lower-cased.</summary>
    public static Func<string, string, string> OneOf(params string[] allowed) => (v, src) =>
        allowed.Contains(v.Trim().ToLowerInvariant()) ? v.Trim().ToLowerInvariant()
            : throw new UsageException($"{src}: unknown value '{v}' (expected one of: {string.Join(", ", allowed)})");

    /// <summary>Text, or null when empty ("" in reference.conf = not given).</summary>
    public static string? Text(string v, string src) => string.IsNullOrWhiteSpace(v) ? null : v;

    /// <summary>on/off (also true/false, yes/no, 1/0).</summary>
    public static bool OnOff(string v, string src) => v.Trim().ToLowerInvariant() switch
    {
        "on" or "true" or "yes" or "1" => true,
        "off" or "false" or "no" or "0" => false,
        _ => throw new UsageException($"{src}: '{v}' is not on/off"),
    };

    private static bool IsNone(string v) => v.Trim().ToLowerInvariant() is "" or "none" or "off";

    private static int ParseInt(string v, string src) =>
        int.TryParse(v.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int x) ? x
            : throw new UsageException($"{src}: '{v}' is not an integer");

    private static double ParseDouble(string v, string src) =>
        double.TryParse(v.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && double.IsFinite(x) ? x
            : throw new UsageException($"{src}: '{v}' is not a finite number");

    private static T CheckRange<T>(T x, string src, T min, T max) where T : IComparable<T>, IFormattable =>
        x.CompareTo(min) < 0 || x.CompareTo(max) > 0
            ? throw new UsageException($"{src}: {x.ToString(null, CultureInfo.InvariantCulture)} is out of range (must be {Range(min, max)})")
            : x;

    private static string[] Split(string v, string src)
    {
        var parts = v.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 0 || parts.Any(p => p.Length == 0))
            throw new UsageException($"{src}: '{v}' is not a comma-separated list (e.g. 1,2,3)");
        return parts;
    }

    private static string Range<T>(T min, T max) where T : IFormattable
    {
        static bool Unbounded(T x) => x is int i ? i is int.MinValue or int.MaxValue : x is double d && double.IsInfinity(d);
        string Show(T x) => x.ToString(null, CultureInfo.InvariantCulture);
        return (Unbounded(min), Unbounded(max)) switch
        {
            (true, true) => "any value",
            (false, true) => $"≥ {Show(min)}",
            (true, false) => $"≤ {Show(max)}",
            _ => $"in [{Show(min)}, {Show(max)}]",
        };
    }
}
