using ActorTrainer.Cli.Diagnostics;

namespace ActorTrainer.Cli.Tests.Diagnostics;

public class ReportTableTests
{
    [Fact]
    public void Csv_keeps_every_digit_and_markdown_rounds_to_four()
    {
        var t = new ReportTable("name", "x").Add("a,b", 1.0 / 3).Add("c", double.NaN).Add("d", 1.5e-7);
        Assert.Equal("name,x\n\"a,b\",0.3333333333333333\nc,NaN\nd,1.5E-07\n", t.ToCsv());
        string[] md = t.ToMarkdown().TrimEnd('\n').Split('\n');
        Assert.Equal(5, md.Length);
        Assert.Equal("| a,b  |   0.3333 |", md[2]);
        Assert.EndsWith("–", md[3].TrimEnd(' ', '|'));
        Assert.Contains("1.500e-7", md[4]);
        Assert.EndsWith("-: |", md[1]);   // numeric columns are right-aligned
    }

    [Fact]
    public void A_row_of_the_wrong_width_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new ReportTable("a", "b").Add(1));
        Assert.Contains("2 columns", e.Message);
    }
}
