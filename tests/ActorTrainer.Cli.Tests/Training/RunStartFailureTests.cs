using System.Diagnostics;
using System.Security.Cryptography;
using ActorTrainer.Core.Checkpoints;
using Xunit.Abstractions;

namespace ActorTrainer.Cli.Tests.Training;

/// <summary>
/// Every way a run can fail on its input or its disk: one <c>error:</c> line, the documented exit code
/// (2 = bad input, 1 = the run failed), no stack trace, and nothing half-written. Read-only and full
/// disks are real file systems mounted for the test (tests run as root, which file modes do not stop);
/// where mounting is not allowed, those tests say so and pass vacuously.
/// </summary>
public sealed class RunStartFailureTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "at-fail-" + Guid.NewGuid().ToString("N"));
    private readonly List<string> _mounts = [];

    public void Dispose()
    {
        foreach (var m in Enumerable.Reverse(_mounts)) Sh("umount", "-l", m);
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }

    private static readonly string[] Small =
        ["train", "--hidden", "16", "--batch", "4", "--chunk", "10", "--workers", "1", "--progress", "off", "--sample", "0"];

    private string Dir(string name) => Path.Combine(_root, name);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = Cli.RunAsync(args, o, e).GetAwaiter().GetResult();
        return (code, o.ToString(), e.ToString());
    }

    private static void AssertOneErrorLine((int Code, string Out, string Err) r, int code, string mentions)
    {
        Assert.True(r.Code == code, $"exit {r.Code}, expected {code}; stderr: {r.Err}");
        var errors = r.Err.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, r.Err);
        Assert.Contains(mentions, errors[0]);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.DoesNotContain("Exception", r.Err);
    }

    /// <summary>train --resume of <paramref name="run"/> is one error line naming <paramref name="expected"/>,
    /// exit 2, and every file of the run is as it was.</summary>
    private static void AssertResumeRefused(string run, string expected)
    {
        var before = Snapshot(run);
        var r = Run("train", "--resume", run, "--updates", "8", "--progress", "off", "--sample", "0");
        AssertOneErrorLine(r, 2, expected);
        Assert.Equal(before, Snapshot(run));
    }

    /// <summary>Every file under a directory with its SHA-256: equal snapshots = nothing was changed.</summary>
    private static SortedDictionary<string, string> Snapshot(string dir) =>
        new(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))));

    private string MakeRun(string name, int updates = 4)
    {
        var r = Run([.. Small, "--updates", $"{updates}", "--eval-every", "2", "--out", Dir(name)]);
        Assert.True(r.Code == 0, r.Err);
        return Dir(name);
    }

    private static (int Code, string Output) Sh(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            string text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, text);
        }
        catch (System.ComponentModel.Win32Exception e) { return (-1, e.Message); }
    }

    /// <summary>Mounts; false (and the reason in the test output) when this machine does not let the test mount.</summary>
    private bool Mount(string target, params string[] args)
    {
        Directory.CreateDirectory(target);
        var (code, text) = Sh("mount", [.. args, target]);
        if (code != 0) { output.WriteLine($"SKIPPED: cannot mount here (mount {string.Join(' ', args)}: {text.Trim()})"); return false; }
        _mounts.Add(target);
        return true;
    }

    private bool ReadOnlyTmpfs(string target) => Mount(target, "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs");

    [Fact]
    public void Out_on_a_read_only_file_system_is_one_error_line_and_exit_2()
    {
        if (!ReadOnlyTmpfs(Dir("ro"))) return;
        var r = Run([.. Small, "--updates", "4", "--out", Path.Combine(Dir("ro"), "run")]);
        AssertOneErrorLine(r, 2, "cannot write the run directory");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Dir("ro")));
    }

    [Fact]
    public void Resume_into_a_read_only_directory_is_one_error_line_exit_2_and_changes_nothing()
    {
        string run = MakeRun("run");
        var before = Snapshot(run);
        if (!Mount(run, "--bind", run) || Sh("mount", "-o", "remount,bind,ro", run).Code != 0) return;
        var r = Run("train", "--resume", run, "--updates", "8", "--progress", "off", "--sample", "0");
        AssertOneErrorLine(r, 2, "not writable");
        Assert.Equal(before, Snapshot(run));
    }

    [Fact]
    public void A_disk_that_fills_up_during_the_run_is_one_error_line_exit_1_and_leaves_no_torn_file()
    {
        // 16 KiB of tmpfs: run.json, metrics.csv and validation.csv take a page each, and the first
        // checkpoint (H=32: 4,207 floats, 16.8 KB) cannot fit.
        if (!Mount(Dir("small"), "-t", "tmpfs", "-o", "size=16k", "tmpfs")) return;
        var r = Run("train", "--hidden", "32", "--batch", "4", "--chunk", "10", "--workers", "1", "--progress", "off", "--sample", "0",
            "--updates", "4", "--eval-every", "2", "--out", Path.Combine(Dir("small"), "run"));
        AssertOneErrorLine(r, 1, "No space left on device");
        var files = Directory.EnumerateFiles(Dir("small"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(files, f => f!.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.DoesNotContain("model.safetensors", files);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Init_with_a_non_finite_weight_is_refused_before_anything_is_written(float bad)
    {
        string run = MakeRun("src");
        var model = ModelCheckpoint.Read(Path.Combine(run, "model.safetensors"));
        model.W[5] = bad;
        string init = Path.Combine(_root, "bad.safetensors");
        ModelCheckpoint.Write(init, model.Shape, model.W, model.Vocabulary, model.Settings);

        var r = Run([.. Small, "--updates", "4", "--init", init, "--out", Dir("new")]);
        AssertOneErrorLine(r, 2, "holds NaN or infinity in tensor 'W_xh'");
        Assert.False(Directory.Exists(Dir("new")), "a run directory was made for a run that never started");
    }

    [Fact]
    public void Resume_with_a_non_finite_weight_is_refused_and_changes_nothing()
    {
        string run = MakeRun("run");
        var model = ModelCheckpoint.Read(Path.Combine(run, "model.safetensors"));
        model.W[^1] = float.NaN;
        ModelCheckpoint.Write(Path.Combine(run, "model.safetensors"), model.Shape, model.W, model.Vocabulary, model.Settings);
        AssertResumeRefused(run, "holds NaN or infinity in tensor 'b_y'");
    }

    [Fact]
    public void Resume_with_a_non_finite_optimizer_value_is_refused_and_changes_nothing()
    {
        string run = MakeRun("run");
        string statePath = Path.Combine(run, "state.safetensors");
        var state = SafetensorsFile.Read(statePath);
        var tensors = state.Tensors.Select(t => (t.Name, t.Shape, (ReadOnlyMemory<float>)t.Data)).ToList();
        state["optimizer.v"].Data[3] = float.PositiveInfinity;
        SafetensorsFile.Write(statePath, tensors, state.Metadata.Where(kv => kv.Key != SafetensorsFile.ChecksumKey).ToDictionary());
        AssertResumeRefused(run, "holds NaN or infinity in tensor 'optimizer.v'");
    }

    [Fact]
    public void A_corrupted_optimizer_value_fails_the_checksum_and_the_file_is_named()
    {
        string run = MakeRun("run");
        string statePath = Path.Combine(run, "state.safetensors");
        // Find an optimizer.v value in the file's bytes and change it to 4e5, as a corrupted disk or a hand edit would.
        byte[] bytes = File.ReadAllBytes(statePath);
        var state = SafetensorsFile.Read(statePath);
        float old = state["optimizer.v"].Data.First(x => x != 0);
        int at = bytes.AsSpan().IndexOf(BitConverter.GetBytes(old));
        Assert.True(at > 0);
        BitConverter.GetBytes(4e5f).CopyTo(bytes, at);
        File.WriteAllBytes(statePath, bytes);
        AssertResumeRefused(run, $"'{statePath}' is corrupt: its tensor data does not match the data_sha256");
    }

    [Theory]
    [InlineData("garbage,line\n")]
    [InlineData("3,3,0,2,not-a-number,1,0,0,40,0.1\n")]
    public void Resume_with_a_garbage_line_in_metrics_csv_is_refused_and_changes_nothing(string line)
    {
        string run = MakeRun("run");
        File.AppendAllText(Path.Combine(run, "metrics.csv"), line);
        AssertResumeRefused(run, "metrics.csv line 6 is not a metrics row");
    }

    [Fact]
    public void Resume_drops_a_last_metrics_row_torn_by_a_killed_process()
    {
        // A server SIGKILLed while writing a row leaves it without its newline (a standby resumes after it).
        string run = MakeRun("run");
        File.AppendAllText(Path.Combine(run, "metrics.csv"), "3,3,0,2,2.71");

        var r = Run("train", "--resume", run, "--updates", "8", "--progress", "off", "--sample", "0");

        Assert.True(r.Code == 0, r.Err);
        var rows = File.ReadAllLines(Path.Combine(run, "metrics.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.All(rows, row => Assert.Equal(10, row.Length));
        Assert.Equal(Enumerable.Range(1, 8).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), rows.Select(row => row[0]));
    }
}
