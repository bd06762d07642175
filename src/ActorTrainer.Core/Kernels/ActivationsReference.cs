using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Kernels;

/// <summary>
/// The slow, obviously-correct elementwise loops over <see cref="ActivationFunctions.Phi{T}"/> and
/// <see cref="ActivationFunctions.PhiPrime{T}"/> that the vector kernels of <see cref="Activations"/> are tested
/// against. Same contract as <see cref="Activations"/>.
/// </summary>
public static class ActivationsReference
{
    /// <summary>h = φ(a) elementwise; a and h may be the same span. Throws if the lengths differ.</summary>
    public static void Forward(Activation phi, ReadOnlySpan<float> a, Span<float> h)
    {
        Activations.CheckSameLength(a.Length, h.Length, nameof(h));
        for (int i = 0; i < a.Length; i++) h[i] = ActivationFunctions.Phi(phi, a[i]);
    }

    /// <summary>da = dh ⊙ φ'(a), with φ' computed from h = φ(a). da may alias dh. Throws if the lengths differ.</summary>
    public static void Backward(Activation phi, ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> da)
    {
        Activations.CheckSameLength(h.Length, dh.Length, nameof(dh));
        Activations.CheckSameLength(h.Length, da.Length, nameof(da));
        for (int i = 0; i < h.Length; i++) da[i] = dh[i] * ActivationFunctions.PhiPrime(phi, h[i]);   // a NaN dh stays NaN (0·NaN)
    }
}
