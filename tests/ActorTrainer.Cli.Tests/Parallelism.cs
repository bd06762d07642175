// Three test collections at once on any machine (xunit's default is one per core): the cluster process
// collections spend much of their time waiting for processes, timeouts and failure detection, so on two
// cores a third keeps the CPU busy (docs/testing.md).
[assembly: CollectionBehavior(MaxParallelThreads = 3)]
