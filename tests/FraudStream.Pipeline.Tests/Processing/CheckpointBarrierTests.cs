using System.Collections.Concurrent;
using FraudStream.Core.Stages;
using FraudStream.Pipeline.Processing;

namespace FraudStream.Pipeline.Tests.Processing;

/// <summary>
/// The workers parked at a checkpoint's barrier copy the capture's parts with the checkpoint's thread: every part once,
/// by more than one thread, nobody released before the copy is done, a part's failure thrown on the checkpoint's thread.
/// </summary>
public sealed class CheckpointBarrierTests
{
    private const int Workers = 4;

    [Fact]
    public void The_parked_workers_copy_the_parts_with_the_checkpoint_thread_each_part_once()
    {
        var barrier = new CheckpointBarrier(Workers);
        var workers = StartWorkers(barrier, out var returned);
        Assert.True(barrier.WaitAllArrived(TimeSpan.FromSeconds(30)));

        // Part 0 waits until another thread has copied a part: without the workers' help the copy never finishes.
        var capture = new RecordingCapture(parts: 64, firstWaitsForAnotherThread: true);
        barrier.CopyInParallel(capture);
        Assert.Equal(0, Volatile.Read(ref returned[0])); // nobody leaves before the release
        barrier.Release();
        JoinAll(workers);

        Assert.All(capture.Copies, count => Assert.Equal(1, count));
        Assert.False(capture.FirstTimedOut, "part 0 waited 10 s and no other thread copied a part");
        Assert.True(capture.Threads.Count > 1, $"{capture.Threads.Count} thread copied");
        Assert.Equal(capture.Threads.Count, barrier.Copiers);
        Assert.Equal(Workers, returned[0]);
    }

    [Fact]
    public void Cores_the_workers_leave_copy_too()
    {
        const int cores = Workers + 1 + 3; // three pool threads besides the workers and the checkpoint's thread
        var barrier = new CheckpointBarrier(Workers, cores);
        var workers = StartWorkers(barrier, out var returned);
        Assert.True(barrier.WaitAllArrived(TimeSpan.FromSeconds(30)));

        // Every part waits until as many threads as there are cores have copied: without the pool's help it never would.
        var capture = new RecordingCapture(parts: 64, firstWaitsForAnotherThread: false) { WaitForThreads = cores };
        barrier.CopyInParallel(capture);
        barrier.Release();
        JoinAll(workers);

        Assert.All(capture.Copies, count => Assert.Equal(1, count));
        Assert.False(capture.ThreadsTimedOut, $"only {capture.Threads.Count} threads copied in 10 s");
        Assert.Equal(cores, capture.Threads.Count);
        Assert.Equal(Workers, returned[0]);
    }

    [Fact]
    public void A_part_that_fails_is_thrown_on_the_checkpoint_thread_after_the_others_are_copied_and_the_workers_go_on()
    {
        var barrier = new CheckpointBarrier(Workers);
        var workers = StartWorkers(barrier, out var returned);
        Assert.True(barrier.WaitAllArrived(TimeSpan.FromSeconds(30)));

        var capture = new RecordingCapture(parts: 32, firstWaitsForAnotherThread: false) { Failing = 17 };
        var error = Assert.Throws<InvalidOperationException>(() => barrier.CopyInParallel(capture));
        Assert.Equal("part 17 failed", error.Message);
        Assert.Equal(32, capture.Copies.Sum()); // every part was tried before the throw
        barrier.Release();
        JoinAll(workers);
        Assert.Equal(Workers, returned[0]);
    }

    [Fact]
    public void Released_without_a_capture_the_workers_go_on()
    {
        var barrier = new CheckpointBarrier(Workers);
        var workers = StartWorkers(barrier, out var returned);
        Assert.True(barrier.WaitAllArrived(TimeSpan.FromSeconds(30)));
        barrier.Release();
        JoinAll(workers);
        Assert.Equal(Workers, returned[0]);
        Assert.Equal(0, barrier.Copiers);
    }

    private static Thread[] StartWorkers(CheckpointBarrier barrier, out int[] returned)
    {
        var done = new int[1];
        returned = done;
        var threads = new Thread[Workers];
        for (var i = 0; i < Workers; i++)
        {
            threads[i] = new Thread(() =>
            {
                barrier.ArriveAndWait();
                Interlocked.Increment(ref done[0]);
            }) { IsBackground = true };
            threads[i].Start();
        }

        return threads;
    }

    private static void JoinAll(Thread[] threads)
    {
        foreach (var thread in threads)
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "a worker did not return after the release");
        }
    }

    /// <summary>Records which thread copied each part and how often (what the barrier distributes, not what a part holds).</summary>
    private sealed class RecordingCapture(int parts, bool firstWaitsForAnotherThread) : IStateCapture
    {
        private readonly ManualResetEventSlim _anotherThreadCopied = new();
        private int _firstThread;

        public int[] Copies { get; } = new int[parts];

        public ConcurrentDictionary<int, bool> Threads { get; } = new();

        public int Failing { get; init; } = -1;

        public bool FirstTimedOut { get; private set; }

        public int WaitForThreads { get; init; }

        public bool ThreadsTimedOut { get; private set; }

        public int Parts => parts;

        public void CopyPart(int part)
        {
            var thread = Environment.CurrentManagedThreadId;
            Threads[thread] = true;
            Interlocked.Increment(ref Copies[part]);
            if (WaitForThreads > 0)
            {
                if (!ThreadsTimedOut && !SpinWait.SpinUntil(() => Threads.Count >= WaitForThreads, TimeSpan.FromSeconds(10)))
                {
                    ThreadsTimedOut = true; // once: the other parts do not wait again
                }

                return;
            }
            if (part == 0)
            {
                Volatile.Write(ref _firstThread, thread);
                if (firstWaitsForAnotherThread)
                {
                    FirstTimedOut = !_anotherThreadCopied.Wait(TimeSpan.FromSeconds(10));
                }
            }
            else if (Volatile.Read(ref _firstThread) is var first && first != 0 && first != thread)
            {
                _anotherThreadCopied.Set();
            }
            else
            {
                Thread.Sleep(1); // small parts: let the other threads take some
            }

            if (part == Failing)
            {
                throw new InvalidOperationException($"part {part} failed");
            }
        }

        public IStateSnapshot Complete() => throw new NotSupportedException("the barrier does not complete a capture");

        public void Dispose() => _anotherThreadCopied.Dispose();
    }
}
