using System.Runtime.InteropServices;

namespace ActorTrainer.Cli.Scaling;

/// <summary>What a measurement ran on: cores, load at the time, runtime and OS — printed with every
/// bench and sweep so numbers are never read without their machine.</summary>
public static class MachineInfo
{
    public static int Cores => Environment.ProcessorCount;

    /// <summary>1-, 5- and 15-minute load averages from /proc/loadavg, or null where there is none.</summary>
    public static string? LoadAverage()
    {
        try { return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    public static string Describe() =>
        $"machine: {Cores} cores, load average {LoadAverage() ?? "n/a"}, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription} {RuntimeInformation.ProcessArchitecture}";
}
