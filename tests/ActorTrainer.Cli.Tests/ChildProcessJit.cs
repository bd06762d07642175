using System.Runtime.CompilerServices;

namespace ActorTrainer.Cli.Tests;

/// <summary>
/// Every process the tests start (node processes, the netns harness's, a cluster sweep's, bench peers)
/// runs with tiered JIT and without PGO: a node is up in 0.5 s of CPU instead of 1.0 s, and the suite
/// starts about 70 of them on two cores (docs/testing.md). The tests time nothing; results do not depend on
/// the JIT's tiers (the in-process references run tiered in this test host). The CLI itself ships with
/// tiering off, so that measured runs have no slow first tier.
/// </summary>
internal static class ChildProcessJit
{
#pragma warning disable CA2255 // a test assembly's one process-wide setting, before any test starts a process
    [ModuleInitializer]
    internal static void TieredForChildren()
    {
        Environment.SetEnvironmentVariable("DOTNET_TieredCompilation", "1");
        Environment.SetEnvironmentVariable("DOTNET_TieredPGO", "0");
    }
#pragma warning restore CA2255
}
