using System.Net.Sockets;
using ActorTrainer.Actors.Security;

namespace ActorTrainer.Actors.TensorChannel;

/// <summary>How a tensor connection ended. <paramref name="Orderly"/>: a Close frame was exchanged
/// (the peer said goodbye, or this side closed it); otherwise it broke (reset, refused, corrupt
/// frame, send queue overflow) and <paramref name="Reason"/> says how.</summary>
public sealed record ChannelClosed(bool Orderly, string Reason);

/// <summary>
/// One tensor channel connection: a socket with a reader thread and a writer thread.
/// <list type="bullet">
/// <item>The reader decodes frames (<see cref="ChannelFrameReader"/>: floats straight into the new
/// array) and hands each to <c>onFrame</c> on its own thread — the owner Tells an actor.</item>
/// <item><see cref="Send"/> never blocks: it queues the frame for the writer thread, which writes
/// header and floats to the socket. The queue is bounded; a peer that stops reading until it fills
/// breaks the connection (the sender is never stalled by a dead peer). With
/// <c>coalesceWeights</c>, a queued weights frame that has not gone out yet is replaced by a newer
/// one: only the newest weights matter to a worker.</item>
/// <item><c>onClosed</c> is called exactly once, from whichever thread saw the end first.</item>
/// </list>
/// </summary>
public sealed class TensorConnection : IDisposable
{
    /// <summary>Socket buffers, like Akka.Remote's in hocon/cluster.conf: a 1M-parameter tensor in flight.</summary>
    public const int SocketBuffer = 4 << 20;

    private readonly Socket _socket;
    private readonly Stream _stream; // the socket's, or TLS over it
    private readonly ChannelFrameReader _reader;
    private readonly Action<TensorConnection, ChannelFrame> _onFrame;
    private readonly Action<TensorConnection, ChannelClosed> _onClosed;
    private readonly int _capacity;
    private readonly bool _coalesceWeights;
    private readonly object _gate = new();
    private readonly List<ChannelFrame> _queue = new(); // guarded by _gate; frames not yet written
    private readonly ManualResetEventSlim _readerDone = new();
    private bool _closing;   // guarded by _gate: no more frames accepted (Close queued, or aborted)
    private bool _aborted;   // guarded by _gate: the socket is being torn down
    private volatile string? _localClose; // set when this side closes it: its end is then orderly
    private int _reported;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the connection is torn down: after an orderly <see cref="Close"/>, when its queued
    /// frames and the Close frame have left and the peer closed too (or <see cref="OrderlyCloseWait"/> passed); at once on a failure.</summary>
    public Task Ended => _ended.Task;

    /// <summary>How long an orderly close waits for the peer's close before letting go of the socket.</summary>
    public static readonly TimeSpan OrderlyCloseWait = TimeSpan.FromSeconds(20);

    /// <param name="maxFloats">Largest tensor accepted from the peer (the model's parameter count).</param>
    /// <param name="capacity">Frames that may wait for the writer; one more breaks the connection.</param>
    /// <param name="secure">TLS already established over <paramref name="socket"/> (<see cref="ChannelSecurity"/>); null = plaintext.</param>
    public TensorConnection(Socket socket, int maxFloats, Action<TensorConnection, ChannelFrame> onFrame,
        Action<TensorConnection, ChannelClosed> onClosed, int capacity = 64, bool coalesceWeights = false, SecureChannel? secure = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _socket = socket;
        Tune(socket);
        Peer = socket.RemoteEndPoint?.ToString() ?? "?";
        _stream = secure?.Stream ?? new NetworkStream(socket, ownsSocket: false);
        PeerName = secure?.PeerName;
        _reader = new ChannelFrameReader(_stream, maxFloats);
        _onFrame = onFrame;
        _onClosed = onClosed;
        _capacity = capacity;
        _coalesceWeights = coalesceWeights;
    }

    /// <summary>The peer's endpoint, for messages.</summary>
    public string Peer { get; }

    /// <summary>The node the peer proved to be with its certificate (its CN); null on a plaintext connection.</summary>
    public string? PeerName { get; }

    /// <summary>Opens a connection to <paramref name="host"/>:<paramref name="port"/> (not started yet).</summary>
    /// <param name="security">With it, the connection is TLS with this node's certificate (<see cref="ChannelSecurity"/>); null = plaintext.</param>
    /// <exception cref="SocketException">Refused, unreachable, or no answer within <paramref name="timeout"/>.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The TLS handshake failed (a server outside the run, or it refused this node).</exception>
    public static async Task<TensorConnection> ConnectAsync(string host, int port, TimeSpan timeout, int maxFloats,
        Action<TensorConnection, ChannelFrame> onFrame, Action<TensorConnection, ChannelClosed> onClosed, ChannelSecurity? security = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            try { await socket.ConnectAsync(host, port, cts.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { throw new SocketException((int)SocketError.TimedOut); }
            var secure = security is null ? null : await security.ConnectAsync(socket, host).ConfigureAwait(false);
            return new TensorConnection(socket, maxFloats, onFrame, onClosed, secure: secure);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Starts the reader and writer threads.</summary>
    public void Start()
    {
        new Thread(ReadLoop) { IsBackground = true, Name = $"tensor-channel-read {Peer}" }.Start();
        new Thread(WriteLoop) { IsBackground = true, Name = $"tensor-channel-write {Peer}" }.Start();
    }

    /// <summary>Queues a frame for the writer; never blocks. False when the connection is closing or
    /// closed, or the queue was full (the connection is then broken and reported).</summary>
    public bool Send(ChannelFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        lock (_gate)
        {
            if (_closing) return false;
            if (_coalesceWeights && IsWeights(frame)) _queue.RemoveAll(IsWeights);
            if (_queue.Count < _capacity)
            {
                _queue.Add(frame);
                Monitor.Pulse(_gate);
                return true;
            }
        }
        Fail($"send queue full: the peer has not taken the last {_capacity} frames");
        return false;
    }

    /// <summary>Orderly close: the frames already queued go out, then a Close frame with
    /// <paramref name="reason"/>; the socket is released once the peer closes too (a few seconds at most).</summary>
    public void Close(string reason)
    {
        lock (_gate)
        {
            if (_closing) return;
            _localClose = reason;
            _queue.Add(new CloseFrame(reason));
            _closing = true;
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>Tears the connection down now (nothing more is written).</summary>
    public void Dispose()
    {
        lock (_gate) _localClose ??= "closed by this side";
        Abort();
    }

    private void ReadLoop()
    {
        try
        {
            while (true)
            {
                var frame = _reader.Read();
                if (frame is null)
                {
                    Report(new ChannelClosed(_localClose is not null, _localClose ?? "the peer closed the connection without a goodbye"));
                    return;
                }
                if (frame is CloseFrame close)
                {
                    Report(new ChannelClosed(true, close.Reason));
                    return;
                }
                _onFrame(this, frame);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Report(_localClose is { } local ? new ChannelClosed(true, local) : new ChannelClosed(false, e is ChannelProtocolException ? $"corrupt frame: {e.Message}"
                : e is EndOfStreamException ? "the connection ended in the middle of a frame" : $"receive failed: {Describe(e)}"));
        }
        catch (Exception e)
        {
            Report(new ChannelClosed(false, $"handling a frame failed: {e.GetType().Name}: {e.Message}"));
        }
        finally
        {
            _readerDone.Set();
            Abort();
        }
    }

    private void WriteLoop()
    {
        var scratch = new byte[ChannelFrameCodec.MaxHeaderLength];
        while (true)
        {
            ChannelFrame frame;
            lock (_gate)
            {
                while (_queue.Count == 0 && !_aborted) Monitor.Wait(_gate);
                if (_aborted) return;
                frame = _queue[0];
                _queue.RemoveAt(0);
            }
            try
            {
                ChannelFrameCodec.Write(_stream, frame, scratch);
                _stream.Flush(); // TLS: the frame's records gathered beneath it leave now (plaintext: nothing to do)
                if (frame is not CloseFrame) continue;
                _socket.Shutdown(SocketShutdown.Send);
                // The peer closes its side once it has read our Close frame, which on a slow link waits behind
                // the kernel's backlog; tearing down sooner resets the connection and loses that backlog.
                _readerDone.Wait(OrderlyCloseWait);
                Abort();
                return;
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                Fail($"send failed: {Describe(e)}");
                return;
            }
        }
    }

    /// <summary>Reports a broken connection (unless an end was reported already) and tears it down.</summary>
    private void Fail(string reason)
    {
        Report(new ChannelClosed(false, reason));
        Abort();
    }

    private void Report(ChannelClosed closed)
    {
        if (Interlocked.Exchange(ref _reported, 1) == 0) _onClosed(this, closed);
    }

    private void Abort()
    {
        lock (_gate)
        {
            if (_aborted) return;
            _aborted = _closing = true;
            _queue.Clear();
            Monitor.PulseAll(_gate);
        }
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        _socket.Dispose(); // unblocks a reader or writer stuck in the socket
        _ended.TrySetResult();
    }

    private static bool IsWeights(ChannelFrame frame) => frame is MessageFrame { Message: ParameterServer.WeightsPublished };

    private static void Tune(Socket s)
    {
        s.NoDelay = true;
        s.SendBufferSize = SocketBuffer;
        s.ReceiveBufferSize = SocketBuffer;
    }

    private static string Describe(Exception e) => e.InnerException is SocketException s ? $"{s.SocketErrorCode}: {s.Message}" : e.Message;
}
