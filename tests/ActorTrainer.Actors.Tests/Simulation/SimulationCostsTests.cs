using ActorTrainer.Actors.Simulation;

namespace ActorTrainer.Actors.Tests.Simulation;

public sealed class SimulationCostsTests
{
    private static SimulationCosts Costs(Stragglers? stragglers = null, double jitter = 0, ulong seed = 1) =>
        new(0.2, [new ShardCosts(1, 2, 3)], NetworkCosts.None, stragglers, jitter, seed);

    [Fact]
    public void Stragglers_are_the_last_worker_ids_and_compute_factor_times_slower()
    {
        var c = Costs(new Stragglers(2, 4));
        Assert.Equal(new[] { 0.2, 0.2, 0.2, 0.8, 0.8 }, Enumerable.Range(0, 5).Select(w => c.ChunkTime(w, 5, 0)));
    }

    [Fact]
    public void Jitter_is_lognormal_with_mean_one_and_depends_only_on_seed_worker_and_chunk()
    {
        var c = Costs(jitter: 0.5, seed: 9);
        var draws = Enumerable.Range(0, 20_000).Select(i => c.ChunkTime(i % 7, 7, i / 7) / 0.2).ToArray();
        // E[exp(σz − σ²/2)] = 1 and its sd is √(e^{σ²} − 1) ≈ 0.53 at σ = 0.5: the mean of 20,000 draws is
        // within 5 standard errors (5 · 0.53/√20000 ≈ 0.019) of 1, and ln of the draws has sd σ.
        Assert.InRange(draws.Average(), 1 - 0.019, 1 + 0.019);
        var logs = draws.Select(x => Math.Log(x)).ToArray();
        double mean = logs.Average(), sd = Math.Sqrt(logs.Sum(x => (x - mean) * (x - mean)) / (logs.Length - 1));
        Assert.InRange(sd, 0.5 * 0.97, 0.5 * 1.03); // sd of a sample sd ≈ σ/√(2n) = 0.0025: 3 % is 6 of them
        Assert.Equal(c.ChunkTime(3, 7, 11), Costs(jitter: 0.5, seed: 9).ChunkTime(3, 7, 11));
        Assert.NotEqual(c.ChunkTime(3, 7, 11), Costs(jitter: 0.5, seed: 10).ChunkTime(3, 7, 11));
    }

    [Fact]
    public void A_push_costs_its_check_and_an_update_that_averages_n_gradients_costs_n_minus_1_sums()
    {
        var s = new ShardCosts(1, 10, 100);
        Assert.Equal(1, s.Push(0));
        Assert.Equal(11, s.Push(1));
        Assert.Equal(311, s.Push(4));
        Assert.Equal(new ShardCosts(0.25, 2.5, 25), s.Scale(25, 100));
    }

    [Fact]
    public void Impossible_costs_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulationCosts(0, [new ShardCosts(0, 0, 0)], NetworkCosts.None));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulationCosts(1, [new ShardCosts(-1, 0, 0)], NetworkCosts.None));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulationCosts(1, [new ShardCosts(0, 0, 0)], new NetworkCosts(0, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulationCosts(1, [new ShardCosts(0, 0, 0)], NetworkCosts.None, new Stragglers(1, 0.5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulationCosts(1, [new ShardCosts(0, 0, 0)], NetworkCosts.None, jitterSigma: -1));
    }
}
