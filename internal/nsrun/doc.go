// Package nsrun runs a function inside a network namespace without moving
// the caller: the function runs on a fresh goroutine whose OS thread is
// locked, switched into the namespace, and thrown away afterwards (the
// goroutine exits while still locked, so the Go runtime ends the thread
// instead of reusing it in the wrong namespace).
//
// Sockets are bound to the namespace they are created in, so a listener or a
// dialled connection made inside Run keeps working from any goroutine after
// Run returns. A child process started inside Run inherits the namespace.
package nsrun
