using System.Collections;
using ActorTrainer.Cli.CommandLine;

namespace ActorTrainer.Cli.Settings;

/// <summary>
/// The ACTORTRAINER_* environment layer's names: each must name a train or node setting, so a typo
/// (ACTORTRAINER_HIDEN) is an error naming the nearest valid variable instead of being ignored.
/// </summary>
public static class EnvironmentSettings
{
    public const string Prefix = "ACTORTRAINER_";

    /// <summary>Every variable the settings layers read.</summary>
    public static IReadOnlyList<string> ValidNames =>
        TrainSettingsLoader.KeyNames.Concat(NodeSettingsLoader.OptionNames).Select(TrainSettingsLoader.EnvName).Distinct().ToList();

    /// <summary>Throws a <see cref="UsageException"/> for the first ACTORTRAINER_* variable that names no setting.</summary>
    public static void RejectUnknown(IDictionary environment)
    {
        var valid = ValidNames;
        var unknown = environment.Keys.OfType<string>()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && !valid.Contains(n))
            .Order(StringComparer.Ordinal).FirstOrDefault();
        if (unknown is null) return;
        string nearest = valid.MinBy(v => Distance(unknown, v))!;
        throw new UsageException($"environment variable {unknown} names no setting; did you mean {nearest}? (see 'actortrainer train --help')");
    }

    /// <summary>Levenshtein distance: insertions, deletions and substitutions.</summary>
    internal static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
