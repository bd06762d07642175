using System.CommandLine;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Diagnostics;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Cli.Commands;

/// <summary>
/// `actortrainer sample --checkpoint FILE|RUNDIR`: text from a trained model on stdout (char-rnn's
/// sample.lua). Reads the checkpoint and nothing else; writes nothing but stdout (and an error line).
/// </summary>
internal static class SampleCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("sample",
            "Print text sampled from a trained model (a checkpoint or a run directory) to stdout; writes nothing else.");
        var t = new OptionTable("actortrainer.sample");
        var checkpoint = t.Add("checkpoint", "a model .safetensors file, or a run directory (its model.safetensors); required", Values.Text, "FILE|RUNDIR");
        var length = t.Add("length", "symbols to generate after the prime", Values.Int(0, 100_000_000), "N");
        var temperature = t.Add("temperature", "softmax temperature (0 = argmax: no draws)", Values.Double(0, 1e6), "T");
        var prime = t.Add("prime", "text fed to the model first and printed before the sample (empty: start after a newline)", (v, _) => v, "TEXT");
        var seed = t.Add("seed", "seed of the draws", Values.Int(), "N");
        t.AddTo(command);
        command.SetAction(r =>
        {
            string path = checkpoint.Read(r) ?? throw new UsageException("sample needs --checkpoint FILE|RUNDIR (a model .safetensors file or a train run's directory)");
            string text = Sample(path, prime.Read(r), length.Read(r), temperature.Read(r), seed.Read(r));
            context.Out.WriteLine(text);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The prime followed by <paramref name="length"/> sampled symbols of the checkpoint's model.</summary>
    internal static string Sample(string checkpoint, string prime, int length, double temperature, int seed)
    {
        var (file, data) = ModelSource.ReadCheckpoint(checkpoint);
        if (data.Vocabulary is null)
            throw new UsageException($"--checkpoint: '{file}' stores no vocabulary, so its tokens cannot be turned into text");
        var model = ModelSource.FromCheckpoint(file, data, phi: null, fallback: null);
        int[] primeTokens;
        try { primeTokens = model.Vocabulary.Encode(prime.Length > 0 ? prime : "\n"); }
        catch (ArgumentException e) when (prime.Length > 0) { throw new UsageException($"--prime: {e.Message.Split(" (Parameter")[0]}"); }
        catch (ArgumentException) { primeTokens = [0]; } // a model that never saw a newline starts from its first symbol
        var tokens = Sampler.Sample(model.Spec, model.W, primeTokens, length, temperature, new Random(seed));
        return prime + model.Vocabulary.Decode(tokens);
    }
}
