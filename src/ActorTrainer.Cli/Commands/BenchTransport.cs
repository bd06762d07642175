using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Serialization;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Settings;

namespace ActorTrainer.Cli.Commands;

/// <summary>
/// `actortrainer bench transport`: what the cluster's hot path costs on this machine, in one run.
/// <list type="number">
/// <item>Serializers in process: the tensor serializer (raw float copy) against Hyperion on the same
/// 1M-float gradient push, serialize + deserialize, MB/s.</item>
/// <item>Raw loopback TCP, a plain socket pair in this process, in the pattern of training: push a
/// gradient-sized block, get a weights-sized block back, <c>--window</c> pushes in flight.</item>
/// <item>The tensor channel between two processes (this one and a child it starts): the cluster's
/// path for gradients and weights, push frame → weights frame with the same window, actors at both
/// ends as in a run (<see cref="BenchTransportChannel"/>).</item>
/// <item>Akka.Remote between two processes: PushGradient → WeightsPublished with the same window, over
/// the transport settings of hocon/cluster.conf — the path tensors take when the channel is off.</item>
/// </list>
/// First, bytes on the wire per update for each push encoding against the payload (<see cref="BenchTransportWire"/>).
/// Prints one line per measurement and each path's ratio to raw TCP.
/// </summary>
internal static class BenchTransport
{
    /// <summary>The `bench transport` mode.</summary>
    public static Command Create(CliContext context)
    {
        var command = new Command("transport",
            "Push+broadcast throughput between two processes on loopback: the tensor channel (the cluster's path) and " +
            "Akka.Remote, beside raw loopback TCP in the same pattern; and the tensor serializer against Hyperion.");
        var t = new OptionTable("actortrainer.bench.transport");
        var parameters = t.Add("parameters", "floats per gradient push and weights broadcast", Values.Int(1, 100_000_000), "P");
        var window = t.Add("window", "pushes in flight", Values.Int(1, 64), "W");
        var seconds = t.Add("seconds", "seconds per measurement", Values.Double(0.1, 3600), "S");
        var serializer = t.Add("serializer", "serializer of the Akka.Remote path", Values.OneOf("tensor", "hyperion"), completions: ["tensor", "hyperion"]);
        var partFloats = t.Add("part-floats", "Akka.Remote path in parts of N floats (tensor serializer only); 0 = whole messages", Values.Int(0), "N");
        var akka = t.Add("akka", "measure the Akka.Remote path too", Values.OnOff, completions: ["on", "off"]);
        var serve = t.Add("serve", "internal: run as the Akka.Remote peer process on this port", (v, src) => Values.Text(v, src) is null ? (int?)null : Values.Int(1, 65535)(v, src), hidden: true);
        var serveChannel = t.Add("serve-channel", "internal: run as the tensor channel peer process on this port", (v, src) => Values.Text(v, src) is null ? (int?)null : Values.Int(1, 65535)(v, src), hidden: true);
        var channelCerts = t.Add("channel-certs", "internal: the tensor channel peer's certificates (it then speaks mutual TLS)", Values.Text, hidden: true);
        t.AddTo(command);
        command.SetAction((r, _) => RunAsync(parameters.Read(r), window.Read(r), seconds.Read(r), serializer.Read(r), partFloats.Read(r),
            akka.Read(r), serve.Read(r), serveChannel.Read(r), channelCerts.Read(r), context.Out));
        return command;
    }

    private static async Task<int> RunAsync(int parameters, int window, double seconds, string serializer, int partFloats, bool measureAkka,
        int? serve, int? serveChannel, string? channelCerts, TextWriter stdout)
    {
        if (serializer == "hyperion") partFloats = 0; // Hyperion would write a part's whole backing array: whole messages only
        if (serve is not null)
            return await ServeAsync(serve.Value, serializer, parameters, partFloats);
        if (serveChannel is not null)
            return await BenchTransportChannel.ServeAsync(serveChannel.Value, parameters, channelCerts);

        var gradient = new float[parameters];
        new Random(1).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(gradient.AsSpan()));
        for (int i = 0; i < gradient.Length; i++) if (!float.IsFinite(gradient[i])) gradient[i] = 0;
        var push = new PushGradient(0, 0, 0, gradient, 1f, 1.0, false, 1);
        var weights = new WeightsPublished(1, 1, gradient);
        long pushBytes = TensorMessageSerializer.SerializedLength(push)!.Value;
        long weightsBytes = TensorMessageSerializer.SerializedLength(weights)!.Value;
        var duration = TimeSpan.FromSeconds(seconds);
        stdout.WriteLine($"transport: {parameters} parameters; push {pushBytes} B, weights {weightsBytes} B; window {window}; {seconds.ToString(CultureInfo.InvariantCulture)} s per measurement");
        BenchTransportWire.Report(parameters, stdout);

        using (var local = ActorSystem.Create("bench", Config(0, serializer, remote: false, parameters, partFloats)))
        {
            var tensor = new TensorMessageSerializer((ExtendedActorSystem)local);
            var hyperion = new HyperionSerializer((ExtendedActorSystem)local);
            var t = SerializerThroughput(tensor, push, pushBytes, Math.Min(seconds, 3));
            var h = SerializerThroughput(hyperion, push, pushBytes, Math.Min(seconds, 3));
            stdout.WriteLine($"serializer tensor:   to {t.To:F0} MB/s, from {t.From:F0} MB/s ({t.Bytes} B)");
            stdout.WriteLine($"serializer hyperion: to {h.To:F0} MB/s, from {h.From:F0} MB/s ({h.Bytes} B); " +
                             $"a round trip is {(1 / h.To + 1 / h.From) / (1 / t.To + 1 / t.From):F1}× slower than tensor");
        }

        var raw = BenchTransportRawTcp.Run((int)pushBytes, (int)weightsBytes, window, duration);
        double rawMBps = (raw.Pushes * pushBytes + raw.Replies * weightsBytes) / raw.Seconds / 1e6;
        stdout.WriteLine($"raw TCP loopback:    {rawMBps:F0} MB/s ({raw.Replies / raw.Seconds:F1} round trips/s)");

        var channel = await BenchTransportChannel.RunAsync(parameters, push, window, duration);
        double channelMBps = (channel.Pushes * pushBytes + channel.Replies * weightsBytes) / channel.Seconds / 1e6;
        stdout.WriteLine($"tensor channel:      {channelMBps:F0} MB/s ({channel.Replies / channel.Seconds:F1} round trips/s) = {100 * channelMBps / rawMBps:F0}% of raw TCP");

        // The same with mutual TLS, as cluster nodes run it: certificates of a CA made for this measurement.
        string certs = Path.Combine(Path.GetTempPath(), $"actortrainer-bench-certs-{Environment.ProcessId}");
        try
        {
            ActorTrainer.Actors.Security.RunCertificates.Create(certs, ["ps", "bench"], ["127.0.0.1"], DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
            var tls = await BenchTransportChannel.RunAsync(parameters, push, window, duration, certs);
            double tlsMBps = (tls.Pushes * pushBytes + tls.Replies * weightsBytes) / tls.Seconds / 1e6;
            stdout.WriteLine($"tensor channel, TLS: {tlsMBps:F0} MB/s ({tls.Replies / tls.Seconds:F1} round trips/s) = {100 * tlsMBps / rawMBps:F0}% of raw TCP, {100 * tlsMBps / channelMBps:F0}% of plaintext");
        }
        finally
        {
            try { Directory.Delete(certs, recursive: true); } catch (IOException) { }
        }
        if (!measureAkka) return 0;

        var remote = await RemoteAsync(parameters, serializer, push, window, duration, partFloats);
        double remoteMBps = (remote.Pushes * pushBytes + remote.Replies * weightsBytes) / remote.Seconds / 1e6;
        string how = partFloats > 0 && partFloats < parameters ? $"parts of {partFloats} floats" : "whole messages";
        stdout.WriteLine($"akka.remote ({serializer}, {how}): {remoteMBps:F0} MB/s ({remote.Replies / remote.Seconds:F1} round trips/s) = {100 * remoteMBps / rawMBps:F0}% of raw TCP");
        return 0;
    }

    /// <summary>
    /// hocon/cluster.conf's transport and serializers, as a plain remote (not cluster) system; the frame
    /// size raised to what whole messages need when they are sent whole (both processes compute the same).
    /// </summary>
    private static Config Config(int port, string serializer, bool remote, int parameters, int partFloats)
    {
        string file = Path.Combine(NodeSettingsLoader.DefaultHoconDirectory, "cluster.conf");
        if (!File.Exists(file)) throw new UsageException($"the shared cluster settings: file not found: {file}");
        string bindings = serializer == "hyperion" ? """
            akka.actor.serialization-bindings {
              "ActorTrainer.Actors.ParameterServer.PushGradient, ActorTrainer.Actors" = hyperion
              "ActorTrainer.Actors.ParameterServer.WeightsPublished, ActorTrainer.Actors" = hyperion
            }
            """ : "";
        var shared = ConfigurationFactory.ParseString(File.ReadAllText(file));
        long frame = Math.Max(ClusterNode.MaximumFrameSize(shared), RequiredFrameSize(parameters, partFloats) + 1024);
        var overrides = ConfigurationFactory.ParseString($"""
            akka.remote.dot-netty.tcp.maximum-frame-size = {frame.ToString(CultureInfo.InvariantCulture)}b
            akka.actor.provider = {(remote ? "remote" : "local")}
            akka.remote.dot-netty.tcp.hostname = "127.0.0.1"
            akka.remote.dot-netty.tcp.public-hostname = "127.0.0.1"
            akka.remote.dot-netty.tcp.port = {port.ToString(CultureInfo.InvariantCulture)}
            {bindings}
            """);
        return overrides.WithFallback(shared);
    }

    /// <summary>Bytes the largest tensor message needs in one Akka.Remote frame: a whole push when it fits in
    /// one part, else the first <see cref="TensorPart"/>; plus 16 KiB for Akka's envelope.</summary>
    private static long RequiredFrameSize(int parameters, int floatsPerPart)
    {
        var push = new PushGradient(0, 0, 0, [], 0, 0, false, 0);
        long largest = floatsPerPart > 0 && parameters > floatsPerPart
            ? TensorMessageSerializer.SerializedLength(new TensorPart(0, 0, 1, 0, parameters, push, new float[floatsPerPart]))!.Value
            : TensorMessageSerializer.SerializedLength(push)!.Value + 4L * parameters;
        return largest + 16 * 1024;
    }

    private readonly record struct SerializerResult(double To, double From, int Bytes);

    /// <summary>Serialize and deserialize the push back to back for about <paramref name="seconds"/> each; MB/s of the payload.</summary>
    private static SerializerResult SerializerThroughput(Serializer serializer, PushGradient push, long payload, double seconds)
    {
        string manifest = serializer is SerializerWithStringManifest m ? m.Manifest(push) : "";
        byte[] bytes = serializer.ToBinary(push); // warm-up
        var type = typeof(PushGradient);
        object Back(byte[] b) => serializer is SerializerWithStringManifest s ? s.FromBinary(b, manifest) : serializer.FromBinary(b, type);
        if (Back(bytes) is not PushGradient { Gradient.Length: var n } || n != push.Gradient.Length)
            throw new InvalidOperationException($"{serializer.GetType().Name} did not round-trip the push");
        int reps = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds / 2) { bytes = serializer.ToBinary(push); reps++; }
        double to = reps * payload / sw.Elapsed.TotalSeconds / 1e6;
        reps = 0;
        sw.Restart();
        while (sw.Elapsed.TotalSeconds < seconds / 2) { Back(bytes); reps++; }
        double from = reps * payload / sw.Elapsed.TotalSeconds / 1e6;
        return new SerializerResult(to, from, bytes.Length);
    }

    private static async Task<BenchTransportActors.Result> RemoteAsync(
        int parameters, string serializer, PushGradient push, int window, TimeSpan duration, int partFloats)
    {
        int peerPort = BenchTransportRawTcp.FreeLoopbackPort();
        using var peer = StartPeer("--serve", peerPort, parameters,
            ["--serializer", serializer, "--part-floats", partFloats.ToString(CultureInfo.InvariantCulture)]);
        try
        {
            string? line = await peer.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            if (line != "ready") throw new InvalidOperationException($"the peer process did not start (said '{line}')");
            using var system = ActorSystem.Create("bench", Config(0, serializer, remote: true, parameters, partFloats));
            var echo = await system.ActorSelection($"akka.tcp://bench@127.0.0.1:{peerPort}/user/echo").ResolveOne(TimeSpan.FromSeconds(30));
            var done = new TaskCompletionSource<BenchTransportActors.Result>(TaskCreationOptions.RunContinuationsAsynchronously);
            system.ActorOf(Props.Create(() => new BenchTransportActors.Client(echo, push, window, duration, partFloats, done)));
            var result = await done.Task.WaitAsync(duration + TimeSpan.FromSeconds(120));
            echo.Tell(new StopTraining("benchmark over"));
            await peer.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            return result;
        }
        finally
        {
            if (!peer.HasExited) peer.Kill();
        }
    }

    /// <summary>Starts this binary as `bench transport &lt;role&gt; PORT --parameters P …`, stdout redirected (it says "ready").</summary>
    public static Process StartPeer(string role, int port, int parameters, IEnumerable<string> more)
    {
        string dll = typeof(BenchTransport).Assembly.Location;
        string host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { dll, "bench", "transport", role, port.ToString(CultureInfo.InvariantCulture),
                     "--parameters", parameters.ToString(CultureInfo.InvariantCulture) }.Concat(more))
            start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the peer process");
    }

    /// <summary>The peer process: an echo actor that answers every push with a weights message.</summary>
    private static async Task<int> ServeAsync(int port, string serializer, int parameters, int partFloats)
    {
        using var system = ActorSystem.Create("bench", Config(port, serializer, remote: true, parameters, partFloats));
        system.ActorOf(Props.Create(() => new BenchTransportActors.Echo(parameters, partFloats)), "echo");
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        await system.WhenTerminated;
        return 0;
    }
}
