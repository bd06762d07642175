using System.Globalization;

namespace ActorTrainer.Cli.Tests;

/// <summary>Runs the CLI in-process and reads back what it wrote.</summary>
internal static class CliHarness
{
    public sealed record Result(int ExitCode, string Out, string Err);

    public static Result Run(params string[] args)
    {
        var stdout = new StringWriter(CultureInfo.InvariantCulture);
        var stderr = new StringWriter(CultureInfo.InvariantCulture);
        int code = Cli.RunAsync(args, stdout, stderr).GetAwaiter().GetResult();
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs and asserts success, showing stderr when it fails.</summary>
    public static Result RunOk(params string[] args)
    {
        var r = Run(args);
        Assert.True(r.ExitCode == 0, $"exit code {r.ExitCode}; stderr: {r.Err}");
        return r;
    }

    /// <summary>A CSV written by ReportTable: header and rows of fields (no quoted commas in these tables).</summary>
    public static (string[] Header, List<string[]> Rows) ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        return (lines[0].Split(','), lines.Skip(1).Select(l => l.Split(',')).ToList());
    }

    public static double Num(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>The column of a CSV row by header name.</summary>
    public static string Col(string[] header, string[] row, string name)
    {
        int i = Array.IndexOf(header, name);
        Assert.True(i >= 0, $"column '{name}' missing from {string.Join(",", header)}");
        return row[i];
    }

    /// <summary>Asserts a file is a PNG of the given size, by default the plots' (signature, then the IHDR chunk's width and height).</summary>
    public static void AssertPng(string path, int width = global::ActorTrainer.Cli.Reporting.Charts.Width, int height = global::ActorTrainer.Cli.Reporting.Charts.Height)
    {
        byte[] b = File.ReadAllBytes(path);
        Assert.True(b.Length > 1000, $"{path} has only {b.Length} bytes");
        Assert.Equal(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }, b[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(b, 12, 4));
        Assert.Equal(width, (b[16] << 24) | (b[17] << 16) | (b[18] << 8) | b[19]);
        Assert.Equal(height, (b[20] << 24) | (b[21] << 16) | (b[22] << 8) | b[23]);
    }

    /// <summary>Lines of the markdown table in a file (those starting with '|'), header and separator included.</summary>
    public static string[] MarkdownTableLines(string path) => File.ReadAllLines(path).Where(l => l.StartsWith('|')).ToArray();
}

/// <summary>A fresh temporary directory, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "at-diag-" + Guid.NewGuid().ToString("N"));

    public TempDir() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
