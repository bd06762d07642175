using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Kernels;

/// <summary>
/// φ and φ' over spans: a vector kernel where one exists (TensorPrimitives for φ; one <see cref="Vector{T}"/>
/// pass for each φ' product, which no TensorPrimitives op fuses), else the definitions in
/// <see cref="ActivationFunctions"/> element by element. Same results as <see cref="ActivationsReference"/>
/// up to float rounding.
/// </summary>
public static class Activations
{
    /// <summary>
    /// h = φ(a) elementwise; a and h may be the same span. Throws if the lengths differ.
    /// tanh is <see cref="Tanh512"/> with AVX-512, else <see cref="TensorPrimitives.Tanh{T}(ReadOnlySpan{T}, Span{T})"/>:
    /// both within ~2e-7 absolute of the true value, NaN in, NaN out.
    /// </summary>
    public static void Forward(Activation phi, ReadOnlySpan<float> a, Span<float> h)
    {
        CheckSameLength(a.Length, h.Length, nameof(h));
        if (phi == Activation.Tanh) { if (FastMath.IsSupported) Tanh512(a, h); else TensorPrimitives.Tanh(a, h); }
        else if (phi == Activation.Relu) TensorPrimitives.Max(a, 0f, h);   // IEEE max, as the definition
        else if (phi == Activation.Identity) a.CopyTo(h);                  // CopyTo handles a == h
        else for (int i = 0; i < a.Length; i++) h[i] = ActivationFunctions.Phi(phi, a[i]);
    }

    /// <summary>
    /// da = dh ⊙ φ'(a), with φ' computed from h = φ(a) (<see cref="ActivationFunctions.PhiPrime{T}"/>).
    /// da may alias dh. Throws if the lengths differ.
    /// </summary>
    public static void Backward(Activation phi, ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> da)
    {
        CheckSameLength(h.Length, dh.Length, nameof(dh));
        CheckSameLength(h.Length, da.Length, nameof(da));
        if (phi == Activation.Tanh) TanhBackward(h, dh, da);
        else if (phi == Activation.Relu) ReluBackward(h, dh, da);
        else if (phi == Activation.Identity) dh.CopyTo(da);
        else for (int i = 0; i < h.Length; i++) da[i] = dh[i] * ActivationFunctions.PhiPrime(phi, h[i]);
    }

    /// <summary>
    /// tanh on zmm registers, in one loop with its e^ inlined: TensorPrimitives' vector calls are not inlined,
    /// and inside a worker actor they ran 3.5× slower than in the bare loop (docs/benchmarks.md#where-the-time-goes).
    /// The last a.Length mod 16 values go through a padded vector, so every value meets the same formula.
    /// </summary>
    private static void Tanh512(ReadOnlySpan<float> a, Span<float> h)
    {
        ref float ar = ref MemoryMarshal.GetReference(a), hr = ref MemoryMarshal.GetReference(h);
        int n = a.Length, i = 0;
        for (; i <= n - 16; i += 16) TanhVector(Vector512.LoadUnsafe(ref ar, (nuint)i)).StoreUnsafe(ref hr, (nuint)i);
        if (i == n) return;
        Span<float> pad = stackalloc float[16];                  // (16) the tail, then zeros
        pad.Clear();
        a[i..].CopyTo(pad);                                      // read before h (which may be a) is written
        TanhVector(Vector512.Create((ReadOnlySpan<float>)pad)).CopyTo(pad);
        pad[..(n - i)].CopyTo(h[i..]);
    }

    /// <summary>
    /// tanh x = sign(x)·(−z)/(z + 2) with z = e^(−2|x|) − 1 ∈ (−1, 0], TensorPrimitives' formula, with
    /// <see cref="FastMath.Exp"/> (~2 ulp, so within ~2e-7 absolute). Large |x| gives z = −1, tanh = ±1;
    /// ±0 gives ±0 (0 − z, not −z, keeps the zero positive before the sign is put back); NaN propagates.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> TanhVector(Vector512<float> x)
    {
        var z = FastMath.Exp(Vector512.Create(-2f) * Vector512.Abs(x)) - Vector512<float>.One;
        var magnitude = (Vector512<float>.Zero - z) / (z + Vector512.Create(2f));
        return (magnitude.AsUInt32() | (x.AsUInt32() & Vector512.Create(0x8000_0000u))).AsSingle();
    }

    /// <summary>da = dh·(1 − h²), through tanh.</summary>
    private static void TanhBackward(ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> da)
    {
        ref float hr = ref MemoryMarshal.GetReference(h), dr = ref MemoryMarshal.GetReference(dh), ar = ref MemoryMarshal.GetReference(da);
        int w = Vector<float>.Count, i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= h.Length - w; i += w)
            {
                var hv = Vector.LoadUnsafe(ref hr, (nuint)i);
                (Vector.LoadUnsafe(ref dr, (nuint)i) * (Vector<float>.One - hv * hv)).StoreUnsafe(ref ar, (nuint)i);
            }
        // remainder (< one vector) element by element; no overlapping re-do, since da may alias dh
        for (; i < h.Length; i++)
            Unsafe.Add(ref ar, i) = Unsafe.Add(ref dr, i) * (1f - Unsafe.Add(ref hr, i) * Unsafe.Add(ref hr, i));
    }

    /// <summary>da = dh·[h &gt; 0], through relu (a NaN in dh stays NaN: it is multiplied, not selected).</summary>
    private static void ReluBackward(ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> da)
    {
        ref float hr = ref MemoryMarshal.GetReference(h), dr = ref MemoryMarshal.GetReference(dh), ar = ref MemoryMarshal.GetReference(da);
        int w = Vector<float>.Count, i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= h.Length - w; i += w)
            {
                var gate = Vector.ConditionalSelect(Vector.GreaterThan(Vector.LoadUnsafe(ref hr, (nuint)i), Vector<float>.Zero),
                    Vector<float>.One, Vector<float>.Zero);
                (Vector.LoadUnsafe(ref dr, (nuint)i) * gate).StoreUnsafe(ref ar, (nuint)i);
            }
        for (; i < h.Length; i++)                                           // remainder, as above
            Unsafe.Add(ref ar, i) = Unsafe.Add(ref dr, i) * (Unsafe.Add(ref hr, i) > 0f ? 1f : 0f);
    }

    internal static void CheckSameLength(int expected, int actual, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has length {actual}, expected {expected}.", name);
    }
}
