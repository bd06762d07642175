namespace ActorTrainer.Actors.Security;

/// <summary>
/// The socket's stream beneath a tensor connection's <see cref="System.Net.Security.SslStream"/>: TLS cuts a
/// tensor into 16 KB records, and without this every record would be one send and one receive system call.
/// Reads take whatever the socket has (up to <see cref="BufferSize"/>) at once; once <see cref="Gather"/> is on
/// (after the handshake), writes collect until <see cref="Flush"/>. Reading and writing keep separate
/// state, so one reader thread and one writer thread may use it at once, as a connection does.
/// </summary>
internal sealed class GatheringStream(Stream inner) : Stream
{
    public const int BufferSize = 256 * 1024;

    private readonly byte[] _read = new byte[BufferSize];
    private int _readStart, _readEnd;
    private readonly byte[] _write = new byte[BufferSize];
    private int _written;

    /// <summary>Off: every write goes straight through (the handshake, whose flights must not wait for a flush).</summary>
    public bool Gather { get; set; }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> destination)
    {
        if (_readStart == _readEnd)
        {
            _readStart = 0;
            _readEnd = inner.Read(_read);
            if (_readEnd == 0) return 0;
        }
        return Take(destination);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_readStart == _readEnd)
        {
            _readStart = 0;
            _readEnd = await inner.ReadAsync(_read, cancellationToken).ConfigureAwait(false);
            if (_readEnd == 0) return 0;
        }
        return Take(destination.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Take(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _readEnd - _readStart);
        _read.AsSpan(_readStart, n).CopyTo(destination);
        _readStart += n;
        return n;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> source)
    {
        if (!Gather)
        {
            inner.Write(source);
            return;
        }
        if (_written + source.Length > _write.Length) Drain();
        if (source.Length >= _write.Length)
        {
            inner.Write(source);
            return;
        }
        source.CopyTo(_write.AsSpan(_written));
        _written += source.Length;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        if (_written > 0)
        {
            await inner.WriteAsync(_write.AsMemory(0, _written), cancellationToken).ConfigureAwait(false);
            _written = 0;
        }
        await inner.WriteAsync(source, cancellationToken).ConfigureAwait(false);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
        Drain();
        inner.Flush();
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_written > 0)
        {
            await inner.WriteAsync(_write.AsMemory(0, _written), cancellationToken).ConfigureAwait(false);
            _written = 0;
        }
        await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Drain()
    {
        if (_written == 0) return;
        inner.Write(_write, 0, _written);
        _written = 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
