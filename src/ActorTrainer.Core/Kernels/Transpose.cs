namespace ActorTrainer.Core.Kernels;

/// <summary>Whether a GEMM operand is used as stored (row-major) or transposed.</summary>
public enum Transpose { No, Yes }
