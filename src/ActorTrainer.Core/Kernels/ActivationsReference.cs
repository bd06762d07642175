using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Kernels;

/// <summary>
/// The slow, obviously-correct elementwise φ and φ' that <see cref="Activations"/> is tested against.
/// Same contract as <see cref="Activations"/>.
/// </summary>
public static class ActivationsReference
{
    /// <summary>h = φ(a) elementwise; a and h may be the same span. Throws if the lengths differ.</summary>
    public static void Forward(Activation phi, ReadOnlySpan<float> a, Span<float> h)
    {
        Activations.CheckSameLength(a.Length, h.Length, nameof(h));
        for (int i = 0; i < a.Length; i++)
            h[i] = phi switch
            {
                Activation.Tanh => MathF.Tanh(a[i]),
                Activation.Relu => MathF.Max(a[i], 0f), // MathF.Max propagates NaN
                Activation.Identity => a[i],
                _ => throw Activations.Unknown(phi),
            };
    }

    /// <summary>
    /// da = dh ⊙ φ'(a), with φ' computed from h = φ(a): tanh 1−h², relu (h&gt;0 ? 1 : 0), identity 1.
    /// da may alias dh. Throws if the lengths differ.
    /// </summary>
    public static void Backward(Activation phi, ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> da)
    {
        Activations.CheckSameLength(h.Length, dh.Length, nameof(dh));
        Activations.CheckSameLength(h.Length, da.Length, nameof(da));
        for (int i = 0; i < h.Length; i++)
            da[i] = phi switch
            {
                Activation.Tanh => dh[i] * (1f - h[i] * h[i]),      // d tanh = 1 − tanh²
                Activation.Relu => dh[i] * (h[i] > 0f ? 1f : 0f),   // a NaN dh stays NaN (0·NaN)
                Activation.Identity => dh[i],
                _ => throw Activations.Unknown(phi),
            };
    }
}
