using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Actors.ParameterServer;

/// <summary>
/// What a worker and the server must agree on before gradients can flow: the length of W and a
/// shape string (vocabulary, H, φ, loss…). Two fingerprints match when both fields are equal.
/// </summary>
public sealed record ModelFingerprint(int ParameterCount, string Shape)
{
    /// <summary>The fingerprint of a model spec: W's length and "V=…,H=…,O=…,phi=…,loss=…".</summary>
    public static ModelFingerprint Of(ModelSpec spec) => new(
        spec.Shape.Count,
        $"V={spec.Shape.V},H={spec.Shape.H},O={spec.Shape.O},phi={spec.Phi},loss={spec.Loss}");

    public override string ToString() => $"{ParameterCount} parameters [{Shape}]";
}
