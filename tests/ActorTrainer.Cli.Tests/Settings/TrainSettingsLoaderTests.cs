using System.Collections;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Settings;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Tests.Settings;

public class TrainSettingsLoaderTests
{
    /// <summary>Settings from flags given as pairs (e.g. ["--hidden", "8"]), as the train command passes them.</summary>
    private static TrainSettings Load(string[] args, IDictionary? env = null)
    {
        var flags = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i += 2) flags[args[i].TrimStart('-')] = args[i + 1];
        return TrainSettingsLoader.Load(flags, env ?? new Hashtable());
    }

    [Fact]
    public void Flags_override_environment_which_overrides_config_files()
    {
        string file = Path.Combine(Path.GetTempPath(), $"at-{Guid.NewGuid():N}.conf");
        File.WriteAllText(file, "actortrainer.train { hidden = 64, batch = 4, chunk = 10 }");
        try
        {
            var env = new Hashtable { ["ACTORTRAINER_BATCH"] = "8", ["ACTORTRAINER_CHUNK"] = "12" };
            var s = Load(["--config", file, "--chunk", "30"], env);
            Assert.Equal(64, s.Hidden);  // from the file
            Assert.Equal(8, s.Batch);    // env beats file
            Assert.Equal(30, s.Chunk);   // flag beats env
        }
        finally { File.Delete(file); }
    }

    [Theory]
    [InlineData("--hidden", "0", "--hidden must be a positive integer")]
    [InlineData("--hidden", "abc", "'abc' is not an integer")]
    [InlineData("--batch", "-1", "--batch must be a positive integer")]
    [InlineData("--chunk", "0", "--chunk must be a positive integer")]
    [InlineData("--lr", "NaN", "--lr must be a finite, non-negative number")]
    [InlineData("--lr", "-0.1", "--lr must be a finite, non-negative number")]
    [InlineData("--clip-norm", "Infinity", "--clip-norm must be a finite, positive number")]
    [InlineData("--clip-norm", "-1", "--clip-norm must be a finite, positive number")]
    [InlineData("--clip-value", "0", "--clip-value must be a finite, positive number")]
    [InlineData("--mode", "eventual", "unknown value 'eventual'")]
    [InlineData("--optimizer", "lion", "unknown value 'lion'")]
    [InlineData("--truncation", "2", "unknown value '2'")]
    [InlineData("--max-in-flight", "0", "'0' is not a positive integer or auto")]
    [InlineData("--max-in-flight", "-2", "'-2' is not a positive integer or auto")]
    [InlineData("--max-in-flight", "many", "'many' is not a positive integer or auto")]
    [InlineData("--push-encoding", "fp16", "'fp16' is not a push encoding; expected fp32, bf16, topk:F or topk:F:W")]
    [InlineData("--push-encoding", "topk:0", "'topk:0' is not a push encoding")]
    [InlineData("--local-steps", "0", "--local-steps must be a positive integer")]
    [InlineData("--weights-encoding", "topk:0.01", "unknown value 'topk:0.01' (expected one of: fp32, bf16)")]
    public void Bad_values_are_rejected_with_a_message_naming_the_option(string flag, string value, string expected)
    {
        var e = Assert.Throws<UsageException>(() => Load([flag, value]));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Bad_environment_value_names_the_variable()
    {
        var e = Assert.Throws<UsageException>(() => Load([], new Hashtable { ["ACTORTRAINER_HIDDEN"] = "big" }));
        Assert.Contains("ACTORTRAINER_HIDDEN", e.Message);
    }

    [Fact]
    public void Clip_value_none_disables_clipping()
    {
        Assert.Null(Load(["--clip-norm", "none"]).ClipNorm);
        Assert.Equal(0.5f, Load(["--clip-value", "0.5"]).ClipValue);
    }

    [Fact]
    public void Max_in_flight_is_auto_by_default_and_a_positive_count_when_given()
    {
        Assert.Null(Load([]).ExplicitMaxInFlight);
        Assert.Null(Load(["--max-in-flight", "AUTO"]).ExplicitMaxInFlight);
        Assert.Equal(3, Load(["--max-in-flight", "3"]).ExplicitMaxInFlight);
        Assert.Equal(1, Load([], new Hashtable { ["ACTORTRAINER_MAX_IN_FLIGHT"] = "1" }).ExplicitMaxInFlight);
    }

    [Fact]
    public void Push_encoding_is_fp32_and_local_steps_one_by_default()
    {
        Assert.Equal((ActorTrainer.Core.Compression.GradientEncoding.Fp32, 1), (Load([]).PushEncoding, Load([]).LocalSteps));
        Assert.Equal("topk:0.01", Load(["--push-encoding", "topk:0.01"]).PushEncoding!.ToString());
        Assert.Equal(8, Load([], new Hashtable { ["ACTORTRAINER_LOCAL_STEPS"] = "8" }).LocalSteps);
        Assert.Contains("--shards 1", Assert.Throws<UsageException>(() => Load(["--local-steps", "2", "--shards", "2"])).Message);
    }

    [Fact]
    public void Missing_config_file_is_a_usage_error()
    {
        var e = Assert.Throws<UsageException>(() => Load(["--config", "/nonexistent/x.conf"]));
        Assert.Contains("/nonexistent/x.conf", e.Message);
    }
}
