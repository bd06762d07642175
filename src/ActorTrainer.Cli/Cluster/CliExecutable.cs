namespace ActorTrainer.Cli.Cluster;

/// <summary>
/// How to start this very CLI as a child process: the apphost when that is what runs
/// (<c>actortrainer …</c>, or <c>dotnet run</c>, which runs the apphost), otherwise <c>dotnet</c> with
/// this assembly (<c>dotnet actortrainer.dll …</c>, or a test host that loaded the CLI as a library).
/// The CLI's own assembly, not the entry assembly, decides which binary: under a test host the
/// entry assembly is the test host.
/// </summary>
public sealed record CliExecutable(string FileName, IReadOnlyList<string> LeadingArguments, string BinaryDirectory)
{
    /// <summary>hocon/local.conf next to the binary: every node on 127.0.0.1 (as deploy/local-cluster.sh uses it).</summary>
    public string LocalConf => Path.Combine(BinaryDirectory, "hocon", "local.conf");

    public static CliExecutable Current() => Resolve(typeof(Cli).Assembly.Location, Environment.ProcessPath, Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"));

    /// <param name="cliAssembly">Path of actortrainer.dll.</param>
    /// <param name="processPath">The running process's executable (<see cref="Environment.ProcessPath"/>).</param>
    /// <param name="dotnetHostPath">DOTNET_HOST_PATH (set by the SDK for processes it starts), if any.</param>
    public static CliExecutable Resolve(string cliAssembly, string? processPath, string? dotnetHostPath)
    {
        if (string.IsNullOrEmpty(cliAssembly)) throw new InvalidOperationException("the CLI's assembly has no file location (single-file publish?): cannot start nodes from it");
        string directory = Path.GetDirectoryName(Path.GetFullPath(cliAssembly))!;
        string assemblyName = Path.GetFileNameWithoutExtension(cliAssembly);
        if (processPath is not null && Path.GetFileNameWithoutExtension(processPath) == assemblyName
            && string.Equals(Path.GetDirectoryName(Path.GetFullPath(processPath)), directory, StringComparison.Ordinal))
            return new CliExecutable(processPath, [], directory);
        string dotnet = processPath is not null && Path.GetFileNameWithoutExtension(processPath) == "dotnet" ? processPath
            : !string.IsNullOrEmpty(dotnetHostPath) ? dotnetHostPath
            : "dotnet";
        return new CliExecutable(dotnet, [cliAssembly], directory);
    }
}
