using System.Text;
using UptimeWatch.Live;
using UptimeWatch.Journal;

namespace UptimeWatch.Tests.Live;

public sealed class EventHubTests
{
    private static LiveEvent Event(long id) =>
        new(id, "status", true, Encoding.UTF8.GetBytes($"{{\"id\":{id}}}"), Encoding.UTF8.GetBytes($"id: {id}\n\n"));

    [Fact]
    public async Task A_client_that_does_not_keep_up_is_cut_off_while_a_fast_one_receives_everything()
    {
        var hub = new EventHub();
        using var fast = hub.Subscribe(capacity: 8);
        using var slow = hub.Subscribe(capacity: 8);
        var received = new List<long>();

        for (var id = 1; id <= 100; id++)
        {
            hub.Publish([Event(id)]);
            // The fast client drains as it goes; the slow one never reads.
            while (fast.Reader.TryRead(out var e))
            {
                received.Add(e.Id!.Value);
            }
        }

        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), received);
        Assert.Equal(1, hub.SubscriberCount);
        // The slow one keeps what it had queued, then learns it was cut off (and resumes by id).
        var queued = new List<long>();
        await Assert.ThrowsAsync<SlowConsumerException>(async () =>
        {
            await foreach (var e in slow.Reader.ReadAllAsync())
            {
                queued.Add(e.Id!.Value);
            }
        });
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), queued);
    }

    [Fact]
    public void The_hub_remembers_the_newest_id_and_forgets_clients_that_leave()
    {
        var hub = new EventHub();
        var subscription = hub.Subscribe(4);

        hub.Publish([Event(7), Event(9)]);
        subscription.Dispose();

        Assert.Equal(9, hub.LastId);
        Assert.Equal(0, hub.SubscriberCount);
    }
}
