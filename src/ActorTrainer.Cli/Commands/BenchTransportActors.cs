using System.Diagnostics;
using Akka.Actor;
using ActorTrainer.Actors;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Serialization;

namespace ActorTrainer.Cli.Commands;

/// <summary>The two ends of `bench transport`'s Akka.Remote measurement.</summary>
internal static class BenchTransportActors
{
    public readonly record struct Result(long Pushes, long Replies, double Seconds);

    /// <summary>
    /// A measuring client's bookkeeping, whatever the transport: a few round trips before the clock
    /// starts warm the path up; then <c>window</c> pushes in flight, a new one per reply, until the
    /// duration is up and every push is answered. Not thread-safe: one actor owns it.
    /// </summary>
    public sealed class Window(int window, TimeSpan duration)
    {
        private const int WarmUp = 3;
        private readonly Stopwatch _clock = new();
        private long _replies, _inFlight;

        /// <summary>Pushes sent since the clock started (before: during warm-up); the next push's id.</summary>
        public long Sent { get; private set; }
        /// <summary>Set once the measurement is over.</summary>
        public Result? Result { get; private set; }

        /// <summary>Pushes to send at the start (the warm-up's).</summary>
        public int Start() => WarmUp;

        /// <summary>Call after each push is sent.</summary>
        public void Pushed() { Sent++; _inFlight++; }

        /// <summary>A reply arrived: how many pushes to send now.</summary>
        public int Replied()
        {
            _inFlight--;
            _replies++;
            if (!_clock.IsRunning)
            {
                if (_replies < WarmUp) return 0;
                Sent = _replies = 0; // the clock starts now, with nothing in flight
                _clock.Start();
                return window;
            }
            if (_clock.Elapsed < duration) return 1;
            if (_inFlight == 0) Result = new Result(Sent, _replies, _clock.Elapsed.TotalSeconds);
            return 0;
        }
    }

    /// <summary>Receives tensor messages whole or in <see cref="TensorPart"/>s, like the cluster's actors.</summary>
    public abstract class PartsActor : ReceiveActor
    {
        private readonly TensorAssembler _assembler = new();

        protected override bool AroundReceive(Receive receive, object message)
        {
            if (message is not TensorPart part) return base.AroundReceive(receive, message);
            return _assembler.Add(Sender, part) is not { } whole || base.AroundReceive(receive, whole);
        }
    }

    /// <summary>Peer side: answers every push with W (the same array each time: only the transport is measured).</summary>
    public sealed class Echo : PartsActor
    {
        public Echo(int parameters, int floatsPerPart)
        {
            var w = new float[parameters]; // (P)
            Receive<PushGradient>(m => TensorParts.Tell(Sender, new WeightsPublished(m.ChunkId, m.ChunkId, w), Self, floatsPerPart));
            Receive<StopTraining>(_ => Context.System.Terminate());
        }
    }

    /// <summary>Measuring side over Akka.Remote: <see cref="Window"/>'s pattern of pushes.</summary>
    public sealed class Client : PartsActor
    {
        private readonly IActorRef _echo;
        private readonly PushGradient _push;
        private readonly Window _window;
        private readonly TaskCompletionSource<Result> _done;
        private readonly int _floatsPerPart;

        public Client(IActorRef echo, PushGradient push, int window, TimeSpan duration, int floatsPerPart, TaskCompletionSource<Result> done)
        {
            _echo = echo; _push = push; _window = new Window(window, duration); _floatsPerPart = floatsPerPart; _done = done;
            Receive<WeightsPublished>(_ =>
            {
                Send(_window.Replied());
                if (_window.Result is { } result) { _done.TrySetResult(result); Context.Stop(Self); }
            });
        }

        protected override void PreStart() => Send(_window.Start());

        private void Send(int pushes)
        {
            for (int i = 0; i < pushes; i++)
            {
                // The gradient array is shared by every push: it is read-only and serialized on the way out.
                TensorParts.Tell(_echo, _push with { ChunkId = _window.Sent }, Self, _floatsPerPart);
                _window.Pushed();
            }
        }
    }
}
