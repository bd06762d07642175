using ActorTrainer.Actors.Cluster;

namespace ActorTrainer.Actors.Tests.Cluster;

public class SlotTableTests
{
    private static string[] Hosts(SlotTable t) => Enumerable.Range(0, t.Slots).Select(s => t.HostOf(s) ?? "-").ToArray();

    [Fact]
    public void Nothing_is_assigned_until_the_joined_capacity_covers_every_slot()
    {
        var t = new SlotTable(4);
        Assert.Empty(t.Join("a", 2));
        Assert.False(t.Started);
        Assert.Equal(["-", "-", "-", "-"], Hosts(t));

        var moves = t.Join("b", 2);

        Assert.True(t.Started);
        Assert.Equal(["a", "a", "b", "b"], Hosts(t));
        Assert.Equal([new SlotMove(0, null, "a"), new SlotMove(1, null, "a"), new SlotMove(2, null, "b"), new SlotMove(3, null, "b")], moves);
    }

    [Fact]
    public void A_leaving_nodes_slots_go_to_free_capacity_before_overloading_anyone()
    {
        var t = new SlotTable(3);
        t.Join("a", 1);
        t.Join("b", 1);
        t.Join("c", 2); // starts: a=0, b=1, c=2; c has one free place

        var moves = t.Leave("a");

        Assert.Equal([new SlotMove(0, "a", "c")], moves);
        Assert.Equal(["c", "b", "c"], Hosts(t));
    }

    [Fact]
    public void Without_free_capacity_a_leaving_nodes_slots_overflow_onto_the_least_loaded_node()
    {
        var t = new SlotTable(2);
        t.Join("a", 1);
        t.Join("b", 1);

        var moves = t.Leave("b");

        Assert.Equal([new SlotMove(1, "b", "a")], moves);
        Assert.Equal(["a", "a"], Hosts(t));
        Assert.Equal([0, 1], t.SlotsOf("a"));
    }

    [Fact]
    public void Overflow_spreads_by_load_relative_to_capacity()
    {
        var t = new SlotTable(6);
        t.Join("a", 2);
        t.Join("b", 4); // a: 0,1  b: 2..5
        t.Join("c", 1); // stands by

        t.Leave("b");   // 4 vacancies: c takes one (free place), then a and c share the rest by slots/capacity

        Assert.Equal(6, t.SlotsOf("a").Count + t.SlotsOf("c").Count);
        Assert.Equal(4, t.SlotsOf("a").Count); // 4/2 = 2.0 per capacity
        Assert.Equal(2, t.SlotsOf("c").Count); // 2/1 = 2.0 per capacity
    }

    [Fact]
    public void A_late_joiner_takes_slots_from_overloaded_nodes()
    {
        var t = new SlotTable(2);
        t.Join("a", 1);
        t.Join("b", 1);
        t.Leave("b"); // a hosts both

        var moves = t.Join("c", 1);

        Assert.Equal([new SlotMove(1, "a", "c")], moves);
        Assert.Equal(["a", "c"], Hosts(t));
    }

    [Fact]
    public void A_late_joiner_stands_by_while_nobody_is_overloaded_and_steps_in_when_a_node_leaves()
    {
        var t = new SlotTable(2);
        t.Join("a", 1);
        t.Join("b", 1);

        Assert.Empty(t.Join("c", 1));
        Assert.Empty(t.SlotsOf("c"));

        Assert.Equal([new SlotMove(0, "a", "c")], t.Leave("a"));
        Assert.Equal(["c", "b"], Hosts(t));
    }

    [Fact]
    public void When_the_last_node_leaves_the_slots_wait_unassigned_for_the_next_one()
    {
        var t = new SlotTable(2);
        t.Join("a", 2);

        Assert.Equal([new SlotMove(0, "a", null), new SlotMove(1, "a", null)], t.Leave("a"));
        Assert.Equal(["-", "-"], Hosts(t));

        // Started already: a node of any capacity takes every vacancy.
        Assert.Equal([new SlotMove(0, null, "z"), new SlotMove(1, null, "z")], t.Join("z", 1));
    }

    [Fact]
    public void Vacate_assigns_a_stopped_workers_slot_again()
    {
        var t = new SlotTable(2);
        t.Join("a", 1);
        t.Join("b", 2);

        var moves = t.Vacate(0);

        // Both have a free place now; the one with fewest slots wins: a gets it back (a fresh worker).
        Assert.Equal([new SlotMove(0, "a", "a")], moves);
        Assert.Equal(["a", "b"], Hosts(t));
    }

    [Fact]
    public void Leaving_an_unknown_node_or_vacating_an_empty_slot_changes_nothing()
    {
        var t = new SlotTable(1);
        Assert.Empty(t.Leave("nobody"));
        Assert.Empty(t.Vacate(0));
    }

    [Fact]
    public void Bad_input_is_refused_with_the_offending_value()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SlotTable(0));
        var t = new SlotTable(1);
        Assert.Contains("0", Assert.Throws<ArgumentOutOfRangeException>(() => t.Join("a", 0)).Message);
        t.Join("a", 1);
        Assert.Contains("a", Assert.Throws<ArgumentException>(() => t.Join("a", 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Vacate(1));
    }
}
