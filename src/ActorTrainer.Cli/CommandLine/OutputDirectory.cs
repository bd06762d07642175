using System.Globalization;

namespace ActorTrainer.Cli.CommandLine;

/// <summary>Where a command writes when no --out is given: under runs/, never beside the user's files.</summary>
internal static class OutputDirectory
{
    public const string Root = "runs";

    /// <summary>runs/&lt;kind&gt;-&lt;timestamp&gt; (relative to the working directory).</summary>
    public static string Default(string kind) =>
        Path.Combine(Root, $"{kind}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
}
