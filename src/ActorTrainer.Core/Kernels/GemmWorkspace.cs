using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ActorTrainer.Core.Kernels;

/// <summary>
/// Per-thread packing buffers for <see cref="Gemm"/>: grown on demand, never shrunk, so a worker
/// thread allocates only on its first (or first larger) call. Arrays live on the pinned object heap,
/// so the 64-byte-aligned pointers handed out stay valid for the thread's lifetime.
/// </summary>
internal static unsafe class GemmWorkspace
{
    [ThreadStatic] private static float[]? t_a;
    [ThreadStatic] private static float[]? t_b;

    /// <summary>At least <paramref name="floats"/> floats for packed A panels, 64-byte aligned.</summary>
    public static float* A(int floats) => Aligned(ref t_a, floats);

    /// <summary>At least <paramref name="floats"/> floats for packed B panels, 64-byte aligned.</summary>
    public static float* B(int floats) => Aligned(ref t_b, floats);

    private static float* Aligned(ref float[]? buffer, int floats)
    {
        const int pad = 16; // floats = 64 bytes, room to align the start
        if (buffer is null || buffer.Length < floats + pad)
            buffer = GC.AllocateUninitializedArray<float>(floats + pad, pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (float*)((start + 63) & ~(nint)63);
    }
}
