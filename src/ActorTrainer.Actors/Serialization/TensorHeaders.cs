using System.Buffers.Binary;
using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Actors.Serialization;

/// <summary>
/// The fixed little-endian fields of the tensor messages, before their float count and floats —
/// one layout shared by <see cref="TensorMessageSerializer"/> (Akka.Remote) and the tensor channel's
/// frames, so the two wire formats cannot drift apart:
/// <code>
///   PushGradient     i32 WorkerId, i64 BaseVersion, i64 ChunkId, f32 Loss, f64 GradNorm, u8 Clipped, i32 Tokens
///   WeightsPublished i64 Version, i64 UpdateNumber
/// </code>
/// </summary>
internal static class TensorHeaders
{
    public const int Push = 4 + 8 + 8 + 4 + 8 + 1 + 4;
    public const int Published = 8 + 8;

    public static void WritePush(Span<byte> s, PushGradient m)
    {
        BinaryPrimitives.WriteInt32LittleEndian(s, m.WorkerId);
        BinaryPrimitives.WriteInt64LittleEndian(s[4..], m.BaseVersion);
        BinaryPrimitives.WriteInt64LittleEndian(s[12..], m.ChunkId);
        BinaryPrimitives.WriteSingleLittleEndian(s[20..], m.Loss);
        BinaryPrimitives.WriteDoubleLittleEndian(s[24..], m.GradNorm);
        s[32] = m.Clipped ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(s[33..], m.Tokens);
    }

    public static PushGradient ReadPush(ReadOnlySpan<byte> s, float[] gradient) => new(
        WorkerId: BinaryPrimitives.ReadInt32LittleEndian(s),
        BaseVersion: BinaryPrimitives.ReadInt64LittleEndian(s[4..]),
        ChunkId: BinaryPrimitives.ReadInt64LittleEndian(s[12..]),
        Gradient: gradient,
        Loss: BinaryPrimitives.ReadSingleLittleEndian(s[20..]),
        GradNorm: BinaryPrimitives.ReadDoubleLittleEndian(s[24..]),
        Clipped: s[32] != 0,
        Tokens: BinaryPrimitives.ReadInt32LittleEndian(s[33..]));

    public static void WritePublished(Span<byte> s, WeightsPublished m)
    {
        BinaryPrimitives.WriteInt64LittleEndian(s, m.Version);
        BinaryPrimitives.WriteInt64LittleEndian(s[8..], m.UpdateNumber);
    }

    public static WeightsPublished ReadPublished(ReadOnlySpan<byte> s, float[] weights) => new(
        Version: BinaryPrimitives.ReadInt64LittleEndian(s),
        UpdateNumber: BinaryPrimitives.ReadInt64LittleEndian(s[8..]),
        Weights: weights);
}
