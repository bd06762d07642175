using System.Globalization;
using System.Text;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Diagnostics;

/// <summary>
/// A small result table written two ways: CSV (every digit, invariant, for scripts) and markdown (4 significant
/// digits, for people and READMEs). Cells are strings, integers or doubles; NaN is written as NaN / "–".
/// </summary>
internal sealed class ReportTable
{
    private readonly List<object?[]> rows = [];

    public IReadOnlyList<string> Columns { get; }
    public IReadOnlyList<object?[]> Rows => rows;

    public ReportTable(params string[] columns)
    {
        if (columns.Length == 0) throw new ArgumentException("a table needs at least one column", nameof(columns));
        Columns = columns;
    }

    public ReportTable Add(params object?[] cells)
    {
        if (cells.Length != Columns.Count)
            throw new ArgumentException($"row has {cells.Length} cells but the table has {Columns.Count} columns ({string.Join(", ", Columns)})", nameof(cells));
        rows.Add(cells);
        return this;
    }

    /// <summary>Header line, then one line per row, '\n' line ends, RFC 4180 quoting.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.Append(CsvWriter.FormatRow(Columns)).Append('\n');
        foreach (var r in rows)
            sb.Append(CsvWriter.FormatRow(r.Select(c => c is double d ? d.ToString("R", CultureInfo.InvariantCulture) : CsvWriter.FormatValue(c)).ToArray())).Append('\n');
        return sb.ToString();
    }

    /// <summary>A GitHub markdown table; numbers right-aligned with 4 significant digits.</summary>
    public string ToMarkdown()
    {
        var cells = rows.Select(r => r.Select(Markdown).ToArray()).ToList();
        var widths = Columns.Select((c, j) => Math.Max(3, cells.Select(r => r[j].Length).Append(c.Length).Max())).ToArray();
        var numeric = Columns.Select((_, j) => rows.Count > 0 && rows.All(r => r[j] is double or int or long or float)).ToArray();
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", Columns.Select((c, j) => c.PadRight(widths[j]))).Append(" |\n");
        sb.Append("| ").AppendJoin(" | ", widths.Select((w, j) => numeric[j] ? new string('-', w - 1) + ":" : new string('-', w))).Append(" |\n");
        foreach (var r in cells)
            sb.Append("| ").AppendJoin(" | ", r.Select((c, j) => numeric[j] ? c.PadLeft(widths[j]) : c.PadRight(widths[j]))).Append(" |\n");
        return sb.ToString();
    }

    /// <summary>Writes name.csv and name.md into dir (atomically; the markdown gets an optional heading above the table).</summary>
    public void Save(string dir, string name, string? heading = null, string? notes = null)
    {
        AtomicFile.WriteAllBytes(Path.Combine(dir, name + ".csv"), Encoding.UTF8.GetBytes(ToCsv()));
        var md = new StringBuilder();
        if (heading is not null) md.Append("## ").Append(heading).Append("\n\n");
        if (notes is not null) md.Append(notes.TrimEnd()).Append("\n\n");
        md.Append(ToMarkdown());
        AtomicFile.WriteAllBytes(Path.Combine(dir, name + ".md"), Encoding.UTF8.GetBytes(md.ToString()));
    }

    /// <summary>Markdown text of one cell: 4 significant digits for doubles (NaN as "–").</summary>
    public static string Markdown(object? c) => c switch
    {
        null => "",
        double d when double.IsNaN(d) => "–",
        double d => Format4(d),
        float f => Format4(f),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => c.ToString() ?? "",
    };

    private static string Format4(double d)
    {
        double a = Math.Abs(d);
        return a != 0 && (a < 1e-3 || a >= 1e5) ? d.ToString("0.000e+0", CultureInfo.InvariantCulture)
            : d.ToString("G4", CultureInfo.InvariantCulture);
    }
}
