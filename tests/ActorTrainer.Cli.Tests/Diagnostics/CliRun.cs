using System.Globalization;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Tests.Diagnostics;

/// <summary>Runs the CLI in-process in a fresh temp output directory, and reads what it wrote.</summary>
internal sealed class CliRun : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), $"at-diag-{Guid.NewGuid():N}");

    public async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = await Cli.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>The CSV's header and rows as column name → cell maps.</summary>
    public (string[] Header, List<Dictionary<string, string>> Rows) Csv(string name)
    {
        var all = CsvReader.ReadAll(Path.Combine(Dir, name));
        var header = all[0];
        return (header, all.Skip(1).Select(r => header.Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList());
    }

    public static double D(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>The file exists, is non-empty, and (for .png) starts with the PNG signature.</summary>
    public void AssertWritten(string name)
    {
        string path = Path.Combine(Dir, name);
        Assert.True(File.Exists(path), $"{path} was not written");
        var bytes = File.ReadAllBytes(path);
        Assert.NotEmpty(bytes);
        if (name.EndsWith(".png")) Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        if (name.EndsWith(".md")) Assert.Contains("| ---", File.ReadAllText(path).Replace("|-", "| -"));
    }

    public void Dispose()
    {
        if (Directory.Exists(Dir)) Directory.Delete(Dir, recursive: true);
    }
}
