using System.CommandLine;
using System.Reflection;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Settings;
using static ActorTrainer.Cli.Tests.CliHarness;

namespace ActorTrainer.Cli.Tests.CommandLine;

/// <summary>The command line as a user meets it: --version, help, typo suggestions, completion, one-line errors.</summary>
public sealed class CliParserTests
{
    private static void AssertOneErrorLine(Result r)
    {
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", r.Err);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void Version_prints_the_assembly_version_and_exits_0()
    {
        var r = RunOk("--version");
        string version = typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(version, r.Out.Trim());
    }

    [Fact]
    public void A_misspelled_option_is_one_error_line_that_suggests_the_option()
    {
        var r = Run("train", "--hiden", "32");
        AssertOneErrorLine(r);
        Assert.Contains("unknown option --hiden", r.Err);
        Assert.Contains("did you mean --hidden?", r.Err);
    }

    [Fact]
    public void A_misspelled_command_is_one_error_line_that_suggests_the_command()
    {
        var r = Run("trian", "--updates", "5");
        AssertOneErrorLine(r);
        Assert.Contains("unknown command 'trian'", r.Err);
        Assert.Contains("did you mean train?", r.Err);
    }

    [Fact]
    public void No_command_is_a_usage_error_naming_the_commands()
    {
        var r = Run();
        AssertOneErrorLine(r);
        Assert.Contains("train, sample, bench", r.Err);
    }

    [Fact]
    public void Train_help_lists_every_setting_with_its_reference_conf_default()
    {
        var r = RunOk("train", "--help");
        foreach (string key in TrainSettingsLoader.KeyNames.Append("config"))
            Assert.Contains($"--{key} ", r.Out);
        Assert.Contains("--validation-fraction", r.Out); // it works; it was missing from the hand-written help
        foreach (string key in new[] { "hidden", "lr", "validation-fraction", "optimizer", "max-in-flight" })
            Assert.Matches($@"--{key} <[^>]+> .*\[default: {System.Text.RegularExpressions.Regex.Escape(ReferenceConfig.Default("actortrainer.train." + key))}\]", r.Out);
    }

    [Fact]
    public void Node_help_shows_the_defaults_the_hocon_files_set_for_each_role()
    {
        var r = RunOk("node", "--help");
        Assert.Matches(@"--port <P> .*\[default: ps 4053, worker 0\]", r.Out);        // ps.conf, worker.conf
        Assert.Matches(@"--tensor-port <P> .*\[default: ps 4054\]", r.Out);           // ps.conf only
        Assert.Matches(@"--join-timeout <T> .*\[default: 30s\]", r.Out);              // cluster.conf, both roles
        Assert.Matches(@"--role <ps\|worker> .*\[default: worker\]", r.Out);
    }

    /// <summary>Every command and mode, by its path under the root.</summary>
    private static IEnumerable<(string[] Path, Command Command)> Commands(Command c, string[] path)
    {
        yield return (path, c);
        foreach (var sub in c.Subcommands)
            foreach (var x in Commands(sub, [.. path, sub.Name])) yield return x;
    }

    [Fact]
    public void Every_commands_help_is_generated_from_its_option_table()
    {
        var root = Cli.Build(new CliContext(TextWriter.Null, TextWriter.Null, default));
        var all = Commands(root, []).Where(c => c.Path.Length > 0).ToList();
        Assert.Equal(["train", "sample", "bench", "scale", "node", "certs", "diagnose", "experiment"], root.Subcommands.Select(c => c.Name));
        foreach (var (path, command) in all)
        {
            var r = RunOk([.. path, "--help"]);
            foreach (var option in command.Options.Where(o => !o.Hidden))
            {
                Assert.Contains(option.Name, r.Out);
                if (option.HasDefaultValue && option.GetDefaultValue() is string d) Assert.Contains($"[default: {d}]", r.Out);
            }
        }
    }

    [Fact]
    public void Top_level_help_names_every_command_and_bench_help_its_six_modes()
    {
        var top = RunOk("--help");
        foreach (string c in new[] { "train", "sample", "bench", "scale", "node", "certs", "diagnose", "experiment" })
            Assert.Matches($@"(?m)^\s+{c}\s", top.Out);
        var bench = RunOk("bench", "--help");
        foreach (string mode in new[] { "core", "inproc", "workers", "gemm", "server", "transport" })
            Assert.Matches($@"(?m)^\s+{mode}\s", bench.Out);
        Assert.Contains("six modes", top.Out);
    }

    [Fact]
    public void Shell_completion_offers_commands_options_and_option_values()
    {
        // the completion protocol: [suggest:<cursor position>] "<the command line after the program name>"
        static string[] Suggest(string line) =>
            RunOk($"[suggest:{line.Length}]", line).Out.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["train"], Suggest("tra"));
        Assert.Equal(["--hidden"], Suggest("train --hid"));
        Assert.Equal(["async", "ssp", "sync"], Suggest("train --mode ").Order());
        Assert.Equal(["clipping", "truncation", "vanishing"], Suggest("experiment ").Where(s => char.IsLetter(s[0])).Order());
    }

    [Fact]
    public void A_bad_value_is_one_error_line_naming_the_option()
    {
        var r = Run("sample", "--checkpoint", "x", "--length", "many");
        AssertOneErrorLine(r);
        Assert.Contains("--length: 'many' is not an integer", r.Err);
    }
}
