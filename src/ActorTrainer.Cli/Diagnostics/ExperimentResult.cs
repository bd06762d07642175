using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Diagnostics;

/// <summary>An experiment's outcome: its table (written as name.csv and name.md, with heading and notes) and its plot (name.png).</summary>
internal sealed record ExperimentResult(string Name, string Heading, string Notes, ReportTable Table, Plot Plot)
{
    /// <summary>Extra tables written beside the main one (e.g. per-update curves), by file name without extension.</summary>
    public IReadOnlyList<(string Name, ReportTable Table)> Extra { get; init; } = [];

    /// <summary>Writes name.csv, name.md, name.png and the extra CSVs into dir; returns the files written.</summary>
    public IReadOnlyList<string> Save(string dir)
    {
        Directory.CreateDirectory(dir);
        Table.Save(dir, Name, Heading, Notes);
        string png = Path.Combine(dir, Name + ".png");
        Plot.SavePng(png);
        var files = new List<string> { Path.Combine(dir, Name + ".csv"), Path.Combine(dir, Name + ".md"), png };
        foreach (var (name, table) in Extra)
        {
            string path = Path.Combine(dir, name + ".csv");
            AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(table.ToCsv()));
            files.Add(path);
        }
        return files;
    }
}
