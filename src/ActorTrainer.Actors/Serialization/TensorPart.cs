using ActorTrainer.Actors.ParameterServer;
using Akka.Actor;

namespace ActorTrainer.Actors.Serialization;

/// <summary>
/// One piece of a tensor message (<see cref="PushGradient"/>, <see cref="WeightsPublished"/>,
/// <see cref="WorkerRegistered"/>) sent to another node in parts: floats
/// [<paramref name="Offset"/>, Offset + Values.Length) of the message's <paramref name="TotalFloats"/>.
/// Part 0 carries <paramref name="Head"/>, the message itself with an empty tensor. Parts of one
/// message go from one sender to one receiver, so Akka delivers them in order, back to back per
/// sender (<see cref="TensorAssembler"/> relies on it). <paramref name="Values"/> is a view, not a copy:
/// of the sender's tensor (which, like every tensor in a message, is never touched after sending), and
/// on the receiving side of the bytes received, so each part costs one copy less on either end.
/// </summary>
public sealed record TensorPart(long MessageId, int Index, int Count, int Offset, int TotalFloats, ITrainerMessage? Head, ReadOnlyMemory<float> Values)
    : ITrainerMessage;

/// <summary>
/// Sending tensor messages to other nodes in parts of at most <c>floatsPerPart</c> floats (64 KiB
/// by default). Akka.Remote copies a message several times between the serializer and the socket and
/// again on the way in; on a 4 MB message every copy goes to memory and through the large-object heap,
/// on a 64 KiB part they stay in cache and the small-object heap — measured ~1.7× the throughput of
/// whole messages for a 1M-parameter model (bench transport). It also keeps every frame far below
/// maximum-frame-size, whatever the model.
/// Local receivers get the message itself (no copy at all).
/// </summary>
public static class TensorParts
{
    /// <summary>16 Ki floats = 64 KiB per part: below the 85 000-byte large-object threshold with its header.</summary>
    public const int DefaultFloatsPerPart = 16 * 1024;

    private static long _nextMessageId;

    /// <summary>The message's tensor, or null when it carries none.</summary>
    public static float[]? TensorOf(object message) => message switch
    {
        PushGradient m => m.Gradient,
        WeightsPublished m => m.Weights,
        WorkerRegistered m => m.Weights,
        _ => null,
    };

    /// <summary>The message with <paramref name="tensor"/> in place of its own.</summary>
    public static ITrainerMessage WithTensor(ITrainerMessage message, float[] tensor) => message switch
    {
        PushGradient m => m with { Gradient = tensor },
        WeightsPublished m => m with { Weights = tensor },
        WorkerRegistered m => m with { Weights = tensor },
        _ => throw new ArgumentException($"{message.GetType().Name} carries no tensor", nameof(message)),
    };

    /// <summary>
    /// Tells <paramref name="target"/> the message: as it is when the target is local, the message carries
    /// no tensor or <paramref name="floatsPerPart"/> ≤ 0 or the tensor fits in one part; in parts otherwise.
    /// </summary>
    public static void Tell(IActorRef target, ITrainerMessage message, IActorRef sender, int floatsPerPart = DefaultFloatsPerPart)
    {
        ArgumentNullException.ThrowIfNull(target);
        var tensor = TensorOf(message);
        if (tensor is null || floatsPerPart <= 0 || tensor.Length <= floatsPerPart || target is not IActorRefScope { IsLocal: false })
        {
            target.Tell(message, sender);
            return;
        }
        foreach (var part in Split(message, tensor, floatsPerPart, Interlocked.Increment(ref _nextMessageId)))
            target.Tell(part, sender);
    }

    /// <summary>The parts of a tensor message, in order; part i holds floats [i·n, min((i+1)·n, N)).</summary>
    public static IEnumerable<TensorPart> Split(ITrainerMessage message, float[] tensor, int floatsPerPart, long messageId)
    {
        if (floatsPerPart <= 0) throw new ArgumentOutOfRangeException(nameof(floatsPerPart), floatsPerPart, "floats per part must be positive");
        int total = tensor.Length;
        int count = Math.Max(1, (total + floatsPerPart - 1) / floatsPerPart);
        var head = WithTensor(message, []);
        for (int i = 0; i < count; i++)
        {
            int offset = i * floatsPerPart;
            var values = tensor.AsMemory(offset, Math.Min(floatsPerPart, total - offset)); // (≤ n) a view, no copy
            yield return new TensorPart(messageId, i, count, offset, total, i == 0 ? head : null, values);
        }
    }
}

/// <summary>
/// Puts tensor messages sent in <see cref="TensorPart"/>s back together, per sender. A part that does
/// not continue its sender's open message (a sender that died mid-message and was replaced, a lost
/// part) drops the open message: only whole messages come out. Not thread-safe: one actor owns it.
/// </summary>
public sealed class TensorAssembler
{
    private sealed class Open
    {
        public required TensorPart First { get; init; }
        public required float[] Tensor { get; init; } // (TotalFloats)
        public int Next { get; set; }
    }

    private readonly Dictionary<IActorRef, Open> _open = new();

    /// <summary>Messages being assembled (one at most per sender).</summary>
    public int OpenMessages => _open.Count;

    /// <summary>Adds a part from <paramref name="sender"/>; returns the whole message when this was its last part.</summary>
    public ITrainerMessage? Add(IActorRef sender, TensorPart part)
    {
        ArgumentNullException.ThrowIfNull(part);
        if (part.Index == 0)
        {
            if (part.Head is null || part.Count <= 0 || part.TotalFloats < 0)
                throw new ArgumentException($"part 0 of message {part.MessageId} has no head or a bad size", nameof(part));
            _open[sender] = new Open { First = part, Tensor = new float[part.TotalFloats] };
        }
        if (!_open.TryGetValue(sender, out var open)) return null;
        if (part.MessageId != open.First.MessageId || part.Index != open.Next || part.Offset + part.Values.Length > open.Tensor.Length)
        {
            _open.Remove(sender);
            return null;
        }
        part.Values.Span.CopyTo(open.Tensor.AsSpan(part.Offset));
        open.Next++;
        if (open.Next < open.First.Count) return null;
        _open.Remove(sender);
        return TensorParts.WithTensor(open.First.Head!, open.Tensor);
    }

    /// <summary>Forgets a sender's unfinished message (it is gone).</summary>
    public void Forget(IActorRef sender) => _open.Remove(sender);
}
