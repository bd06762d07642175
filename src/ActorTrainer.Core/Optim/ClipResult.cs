namespace ActorTrainer.Core.Optim;

/// <summary>
/// Outcome of clipping a gradient. NormBefore is the global L2 norm before clipping (NaN or +∞ when
/// the gradient is not finite). Clipped says whether g was changed. Finite = false means the gradient
/// held a NaN or ±∞: it was left untouched and must NOT be applied.
/// </summary>
public readonly record struct ClipResult(double NormBefore, bool Clipped, bool Finite);
