// Package budget is the agent's one memory budget.
//
// Every part of the agent that holds memory in proportion to its input
// charges a shared Budget before it grows, releases the charge when it lets
// go, and sheds load when a charge is refused: it drops (and counts, by
// reason) the packet, stream or request that would have grown, never the
// budget. So the memory held for the input stays under the limit whatever
// the input, and the process's RSS under the limit plus a constant that
// does not depend on the input (the runtime, the input's fixed buffers,
// queues' fixed arrays).
//
// Two kinds of charge share the limit:
//
//   - State (TryCharge): what lives as long as a stream or a request does:
//     reassembly (each live stream, the stream pool's slots at their
//     high-water mark, the out-of-order pages' cap), partial requests and
//     decoded bodies held by parsers, requests queued for or in replay.
//     State may use the limit less the in-flight reserve.
//   - In flight (TryChargeInFlight): packets queued between the input and
//     reassembly. They may use the whole limit, so a budget full of state
//     never stops the packets that complete (and free) that state.
//
// A new holder of memory joins the same way. In the agent the budget is
// metrics.Counters.Memory (made from -max-buffered by agent.New); the
// replayer has it as replay.Config.Budget. For example the shadow
// comparison (pairing each request with production's response and with the
// replay's) keeps one Account per pending exchange, sets it to what the
// exchange holds whenever that grows (the request kept for comparison,
// production's response head and body as they arrive, the replay's
// response), and releases it when the comparison is done or abandoned:
//
//	ex.acct = budget.NewAccount(b)
//	...
//	if !ex.acct.Set(int64(ex.req.MemSize() + len(ex.prodHead) + cap(ex.prodBody))) {
//		// Count the exchange as dropped for reason memory and forget
//		// it; never keep what the budget refused.
//		ex.acct.Release()
//		return
//	}
//	...
//	ex.acct.Release() // compared, timed out or dropped
//
// Charges are atomic and allocation-free, so packet paths may charge per
// packet.
// A nil *Budget never refuses and holds nothing (tests, tools).
package budget
