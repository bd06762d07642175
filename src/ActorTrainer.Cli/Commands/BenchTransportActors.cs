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

    /// <summary>
    /// Measuring side: keeps <c>window</c> pushes in flight, a new one per reply, until the duration is
    /// up and every push is answered. A few round trips before the clock starts warm the path up.
    /// </summary>
    public sealed class Client : PartsActor
    {
        private const int WarmUp = 3;
        private readonly IActorRef _echo;
        private readonly PushGradient _push;
        private readonly int _window;
        private readonly TimeSpan _duration;
        private readonly TaskCompletionSource<Result> _done;
        private readonly int _floatsPerPart;
        private readonly Stopwatch _clock = new();
        private long _sent, _replies, _inFlight;

        public Client(IActorRef echo, PushGradient push, int window, TimeSpan duration, int floatsPerPart, TaskCompletionSource<Result> done)
        {
            _echo = echo; _push = push; _window = window; _duration = duration; _floatsPerPart = floatsPerPart; _done = done;
            Receive<WeightsPublished>(_ => OnReply());
        }

        protected override void PreStart() { for (int i = 0; i < WarmUp; i++) Send(); }

        private void Send()
        {
            // The gradient array is shared by every push: it is read-only and serialized on the way out.
            TensorParts.Tell(_echo, _push with { ChunkId = _sent }, Self, _floatsPerPart);
            _sent++;
            _inFlight++;
        }

        private void OnReply()
        {
            _inFlight--;
            _replies++;
            if (!_clock.IsRunning)
            {
                if (_replies < WarmUp) return;
                _sent = _replies = 0; // the clock starts now, with nothing in flight
                _clock.Start();
                for (int i = 0; i < _window; i++) Send();
                return;
            }
            if (_clock.Elapsed < _duration) Send();
            else if (_inFlight == 0)
            {
                _done.TrySetResult(new Result(_sent, _replies, _clock.Elapsed.TotalSeconds));
                Context.Stop(Self);
            }
        }
    }
}
