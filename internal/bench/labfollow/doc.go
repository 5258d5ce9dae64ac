// Package labfollow measures what issue 22 asks of a lab that follows its
// model: on a running, served lab of N instances (every ENI captured),
// the time to add one instance with a mirror session until its target
// receives the first copy, and the time to remove it again. The lab-scale
// bench part and lab's BenchmarkFollowAddInstance both use it.
package labfollow
