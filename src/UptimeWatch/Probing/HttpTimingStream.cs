namespace UptimeWatch.Probing;

/// <summary>
/// The plaintext HTTP stream of one probe connection (above TLS, so TLS records such as TLS 1.3 session tickets
/// are not mistaken for the answer): notes when the first byte of the response arrives, then only forwards.
/// </summary>
internal sealed class HttpTimingStream(Stream inner, HttpProbeContext context) : Stream
{
    private bool _answered;

    public override bool CanRead => inner.CanRead;
    public override bool CanWrite => inner.CanWrite;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _answered ? inner.ReadAsync(buffer, cancellationToken) : NoteFirstByteAsync(inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer) => Noted(inner.Read(buffer));

    public override int Read(byte[] buffer, int offset, int count) => Noted(inner.Read(buffer, offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();

    private async ValueTask<int> NoteFirstByteAsync(ValueTask<int> read) => Noted(await read);

    private int Noted(int read)
    {
        // Zero-byte reads (the handler waits for data with them) and EOF are not an answer.
        if (read > 0 && !_answered)
        {
            _answered = true;
            context.FirstByte();
        }
        return read;
    }
}
