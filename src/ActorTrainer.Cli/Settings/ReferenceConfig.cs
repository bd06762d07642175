using Akka.Configuration;

namespace ActorTrainer.Cli.Settings;

/// <summary>
/// The embedded reference.conf: the one place every default lives (train and node settings, and the
/// options of bench, scale, diagnose, experiment and sample). Help texts show these values.
/// </summary>
public static class ReferenceConfig
{
    private static readonly Lazy<Config> Loaded = new(Read);

    public static Config Config => Loaded.Value;

    /// <summary>The default at <paramref name="path"/> as text ("" = none); a missing key is a build defect.</summary>
    public static string Default(string path) =>
        Config.HasPath(path) ? Config.GetString(path) ?? ""
            : throw new InvalidOperationException($"reference.conf has no default for {path}");

    private static Config Read()
    {
        using var stream = typeof(ReferenceConfig).Assembly.GetManifestResourceStream("ActorTrainer.reference.conf")
            ?? throw new InvalidOperationException("embedded reference.conf is missing from the build");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
