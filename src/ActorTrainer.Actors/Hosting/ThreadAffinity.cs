using System.Numerics;
using System.Runtime.InteropServices;

namespace ActorTrainer.Actors.Hosting;

/// <summary>
/// Binds the calling thread to one of the CPUs the process may use (Linux; elsewhere nothing happens).
/// An in-process run pins worker i to CPU i (and the server to worker 0's) so a worker that wakes after
/// waiting for weights finds its chunk's working set still in that core's cache (docs/decisions.md#pinning).
/// </summary>
public static partial class ThreadAffinity
{
    private const int MaskWords = 16; // cpu_set_t of 1024 CPUs

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_getaffinity(int pid, nint cpusetsize, [Out] ulong[] mask);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setaffinity(int pid, nint cpusetsize, ulong[] mask);

    /// <summary>The CPUs the calling thread may run on, ascending; empty when not known (not Linux).</summary>
    public static IReadOnlyList<int> AllowedCpus()
    {
        if (!OperatingSystem.IsLinux()) return [];
        var mask = new ulong[MaskWords];
        try { if (sched_getaffinity(0, MaskWords * sizeof(ulong), mask) != 0) return []; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return []; }
        var cpus = new List<int>();
        for (int w = 0; w < MaskWords; w++)
            for (ulong bits = mask[w]; bits != 0; bits &= bits - 1)
                cpus.Add(w * 64 + BitOperations.TrailingZeroCount(bits));
        return cpus;
    }

    /// <summary>Pins the calling thread to the (<paramref name="index"/> mod n)-th of the n CPUs it may
    /// use; returns that CPU, or null when the platform does not allow it (the thread is left as it was).</summary>
    public static int? PinCurrentThread(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var allowed = AllowedCpus();
        if (allowed.Count == 0) return null;
        int cpu = allowed[index % allowed.Count];
        var mask = new ulong[MaskWords];
        mask[cpu / 64] = 1UL << (cpu % 64);
        try { return sched_setaffinity(0, MaskWords * sizeof(ulong), mask) == 0 ? cpu : null; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }
}
