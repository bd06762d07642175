using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ActorTrainer.Cli.Commands;

/// <summary>
/// The baseline for `bench transport`: a plain loopback socket pair in this process doing what a
/// worker and the parameter server do — push a block of the gradient message's size, get a block of
/// the weights message's size back — with the same number of pushes in flight. Socket buffers as in
/// hocon/cluster.conf (4 MiB), TCP_NODELAY on.
/// </summary>
internal static class BenchTransportRawTcp
{
    public readonly record struct Result(long Pushes, long Replies, double Seconds);

    private const int SocketBuffer = 4 << 20;

    public static Result Run(int pushBytes, int replyBytes, int window, TimeSpan duration)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Tune(client);
        client.Connect((IPEndPoint)listener.LocalEndpoint);
        var accepted = listener.AcceptSocket();
        listener.Stop();
        var server = Task.Run(() =>
        {
            using var s = accepted;
            Tune(s);
            var request = new byte[pushBytes];
            var reply = new byte[replyBytes];
            while (ReadExactly(s, request)) s.Send(reply);
        });

        var payload = new byte[pushBytes];
        using var slots = new SemaphoreSlim(window);
        long replies = 0;
        var reader = new Thread(() =>
        {
            var buffer = new byte[replyBytes];
            while (ReadExactly(client, buffer))
            {
                Interlocked.Increment(ref replies);
                slots.Release();
            }
        }) { IsBackground = true };
        reader.Start();

        // Warm-up: a few round trips outside the clock.
        long pushes = 0;
        for (int i = 0; i < 3; i++) { slots.Wait(); client.Send(payload); pushes++; }
        while (Interlocked.Read(ref replies) < pushes) Thread.Yield();
        long pushes0 = pushes, replies0 = Interlocked.Read(ref replies);

        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < duration) { slots.Wait(); client.Send(payload); pushes++; }
        while (Interlocked.Read(ref replies) < pushes) Thread.Sleep(0);
        double seconds = sw.Elapsed.TotalSeconds;
        client.Shutdown(SocketShutdown.Both);
        reader.Join();
        server.Wait();
        return new Result(pushes - pushes0, Interlocked.Read(ref replies) - replies0, seconds);
    }

    /// <summary>A TCP port free on the loopback right now.</summary>
    public static int FreeLoopbackPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static void Tune(Socket s)
    {
        s.NoDelay = true;
        s.SendBufferSize = SocketBuffer;
        s.ReceiveBufferSize = SocketBuffer;
    }

    /// <summary>Fills <paramref name="buffer"/>; false when the peer closed the connection.</summary>
    private static bool ReadExactly(Socket s, byte[] buffer)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n;
            try { n = s.Receive(buffer, read, buffer.Length - read, SocketFlags.None); }
            catch (SocketException) { return false; }
            if (n == 0) return false;
            read += n;
        }
        return true;
    }
}
