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
// A new holder of memory joins the same way. For example the shadow
// comparison (pairing each request with production's response and with the
// replay's) charges a pending response when it starts keeping it and a kept
// body as it grows, with one Account per pending exchange:
//
//	acct := budget.NewAccount(b)
//	if !acct.Set(int64(cap(body)) + overhead) {
//		counters.Drop(reasonMemory) // drop the comparison, not the budget
//		acct.Release()
//		return
//	}
//	...
//	acct.Release() // when the comparison is done or abandoned
//
// A nil *Budget never refuses and holds nothing (tests, tools).
package budget
