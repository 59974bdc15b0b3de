// OpenStack Tacker: Kubernetes clusters registered as VIMs.
package tacker
