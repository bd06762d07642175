using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>
/// One real `actortrainer node` process: the CLI built with the tests (actortrainer.dll next to the
/// test assembly, with its hocon/ directory) run through `dotnet`, output captured. Disposing kills
/// it if it still runs. ACTORTRAINER_* variables of the test's environment are not passed on.
/// </summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    public string Name { get; }

    public static string BinaryDirectory => AppContext.BaseDirectory;
    public static string LocalConf => Path.Combine(BinaryDirectory, "hocon", "local.conf");

    private NodeProcess(string name, IEnumerable<string> args)
    {
        Name = name;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(Path.Combine(BinaryDirectory, "actortrainer.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ACTORTRAINER_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts `actortrainer node` with the given arguments.</summary>
    public static NodeProcess Start(string name, params string[] args) => new(name, ["node", .. args]);

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }
    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the exit code; a process still running after <paramref name="timeout"/> is killed
    /// and the test fails with its output.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"{Name} still ran after {timeout.TotalSeconds} s.\n{Describe()}");
        }
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process gets no chance to leave the cluster.</summary>
    public void Kill()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { /* already gone */ }
    }

    /// <summary>The address the node reported ("… up at akka.tcp://…"), once it has.</summary>
    public string? Address
    {
        get
        {
            string err = Stderr;
            int at = err.IndexOf(" up at ", StringComparison.Ordinal);
            if (at < 0) return null;
            string rest = err[(at + 7)..];
            int end = rest.IndexOfAny([',', ';', '\n', ' ']);
            return end < 0 ? rest.Trim() : rest[..end].Trim();
        }
    }

    public string Describe() => $"--- {Name} stdout ---\n{Stdout}\n--- {Name} stderr ---\n{Stderr}";

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    /// <summary>A TCP port free on the loopback right now.</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
