using System.Runtime.CompilerServices;

namespace ActorTrainer.Cli.Tests;

/// <summary>Every process the tests start runs with tiered JIT and without PGO: it starts on half the CPU, and
/// the tests time nothing (docs/testing.md). The CLI ships with tiering off for measured runs.</summary>
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
