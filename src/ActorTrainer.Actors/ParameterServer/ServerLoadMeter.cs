using System.Diagnostics;
using ActorTrainer.Actors.TensorChannel;

namespace ActorTrainer.Actors.ParameterServer;

/// <summary>
/// A server actor's own load, measured by its shell: wall time inside message handlers, messages
/// handled, and tensor bytes in and out at the exact length <see cref="ChannelFrameCodec.TensorBytes"/>
/// gives them (what they put on the wire between processes). Plain state, written only by the actor's thread; <see cref="Report"/> is the
/// <see cref="ServerLoadReported"/> the actor sends before <see cref="TrainingCompleted"/>.
/// </summary>
public sealed class ServerLoadMeter
{
    private readonly Stopwatch _alive = Stopwatch.StartNew();
    private long _busyTicks, _messages, _bytesIn, _bytesOut;

    /// <summary>Call when a (whole) message arrives; returns the timestamp to pass to <see cref="Handled"/>.</summary>
    public long Received(object message)
    {
        _messages++;
        _bytesIn += ChannelFrameCodec.TensorBytes(message) ?? 0;
        return Stopwatch.GetTimestamp();
    }

    /// <summary>Adds the time since <paramref name="startTimestamp"/> to the busy time.</summary>
    public void Handled(long startTimestamp) => _busyTicks += Stopwatch.GetTimestamp() - startTimestamp;

    /// <summary>Counts a message sent to one recipient (a worker, or a node's agent that fans it out).</summary>
    public void Sent(object message) => _bytesOut += ChannelFrameCodec.TensorBytes(message) ?? 0;

    public ServerLoadReported Report() => new(
        BusySeconds: (double)_busyTicks / Stopwatch.Frequency, ElapsedSeconds: _alive.Elapsed.TotalSeconds,
        MessagesHandled: _messages, TensorBytesReceived: _bytesIn, TensorBytesSent: _bytesOut);
}
