using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ActorTrainer.Cli.Cluster;

/// <summary>
/// One real `actortrainer node` child process of this CLI (<see cref="CliExecutable"/>), its stdout
/// and stderr captured in memory. Disposing kills it (and its children) if it still runs. Shared by
/// `scale --launcher cluster` and the cluster tests.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    public string Name { get; }

    /// <param name="dropVariable">Environment variables not to pass on (e.g. ACTORTRAINER_* node settings that would
    /// override the addresses given as flags or in --config); null = pass everything on.</param>
    private NodeProcess(string name, CliExecutable cli, IEnumerable<string> args, string? workingDirectory, Func<string, bool>? dropVariable)
    {
        Name = name;
        var start = new ProcessStartInfo(cli.FileName)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in cli.LeadingArguments.Concat(args)) start.ArgumentList.Add(a);
        if (dropVariable is not null)
            foreach (var key in start.Environment.Keys.Where(dropVariable).ToList())
                start.Environment.Remove(key);
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts `actortrainer node` with <paramref name="args"/>.</summary>
    public static NodeProcess Start(string name, CliExecutable cli, IEnumerable<string> args, string? workingDirectory = null, Func<string, bool>? dropVariable = null) =>
        new(name, cli, ["node", .. args], workingDirectory, dropVariable);

    public int Id => _process.Id;

    /// <summary>What the OS says of the process, for diagnosing a stuck run: its /proc state letter
    /// (R running, S sleeping, T stopped, Z exited but not reaped, …), "gone", or "?" off Linux.</summary>
    public string OsState
    {
        get
        {
            if (!OperatingSystem.IsLinux()) return "?";
            try
            {
                string stat = File.ReadAllText($"/proc/{_process.Id}/stat");
                int close = stat.LastIndexOf(')'); // the command name, in parentheses, may contain spaces
                return close >= 0 && close + 2 < stat.Length ? stat[close + 2].ToString() : "?";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException) { return "gone"; }
        }
    }
    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once exited (output drained, a few seconds at most), else null.</summary>
    public int? ExitCode
    {
        get
        {
            if (!_process.HasExited) return null;
            Drain();
            return _process.ExitCode;
        }
    }

    /// <summary>Waits for the end of the redirected output of an exited process — bounded: a grandchild
    /// that inherited the pipes would otherwise keep the caller waiting for ever.</summary>
    private void Drain() => _process.WaitForExit(DrainTimeout);

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Waits for the exit code; a process still running after <paramref name="timeout"/> is killed
    /// and a TimeoutException carries its output.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"{Name} still ran after {timeout.TotalSeconds} s.\n{Describe()}");
        }
        Drain();
        return _process.ExitCode;
    }

    /// <summary>Waits for the exit without a time limit; cancelling kills the process.</summary>
    public async Task<int> WaitAsync(CancellationToken ct)
    {
        try { await _process.WaitForExitAsync(ct); }
        catch (OperationCanceledException) { Kill(); throw; }
        Drain();
        return _process.ExitCode;
    }

    /// <summary>SIGTERM (a request to stop: a ps node ends the run with a final checkpoint, a worker node
    /// leaves); on Windows, where there is no SIGTERM, a kill.</summary>
    public void Terminate()
    {
        if (_process.HasExited) return;
        if (OperatingSystem.IsWindows()) Kill();
        else _ = SendSignal(_process.Id, 15);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

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
            using var bounded = new CancellationTokenSource(DrainTimeout);
            try { await _process.WaitForExitAsync(bounded.Token); } catch (OperationCanceledException) { /* killed; output may be cut */ }
        }
        _process.Dispose();
    }

    private static readonly Lock PortGate = new();
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>A TCP port free on the loopback now, for a node to bind next: outside the kernel's ephemeral range
    /// where it leaves room (<see cref="NodePorts"/>), and never the same twice.</summary>
    public static int FreePort()
    {
        var (low, high) = NodePorts.EphemeralRange();
        var candidates = NodePorts.Candidates(low, high, out _);
        int count = NodePorts.Count(candidates);
        lock (PortGate)
            for (int attempt = 0; attempt < 500; attempt++)
            {
                int port = NodePorts.At(candidates, Random.Shared.Next(count));
                if (HandedOut.Contains(port) || !CanBind(port)) continue;
                HandedOut.Add(port);
                return port;
            }
        var any = new TcpListener(IPAddress.Loopback, 0); // every candidate was busy: one of the ephemeral range
        any.Start();
        int free = ((IPEndPoint)any.LocalEndpoint).Port;
        any.Stop();
        return free;
    }

    private static bool CanBind(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            // as the nodes bind (tcp-reuse-addr = off): a port still in TIME_WAIT is not free for them
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
            listener.Start();
            return true;
        }
        catch (SocketException) { return false; }
        finally { listener.Stop(); }
    }
}
