package tacker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

// LcmAPIVersion is the vnflcm v2 API version the client speaks; Tacker
// refuses a v2 request without it in the Version header.
const LcmAPIVersion = "2.0.0"

// VimTypeOpenStack is the vimType of an OpenStack VIM reached through
// Keystone v3, the one whose Heat builds a VNF from its package.
const VimTypeOpenStack = "ETSINFV.OPENSTACK_KEYSTONE.V_3"

// The states of an LCM operation occurrence (SOL003 5.5.4.3).
const (
	OpStarting    = "STARTING"
	OpProcessing  = "PROCESSING"
	OpCompleted   = "COMPLETED"
	OpFailedTemp  = "FAILED_TEMP"
	OpFailed      = "FAILED"
	OpRollingBack = "ROLLING_BACK"
	OpRolledBack  = "ROLLED_BACK"
)

// The instantiationState of a VNF instance.
const (
	NotInstantiated = "NOT_INSTANTIATED"
	Instantiated    = "INSTANTIATED"
)

// The vnfConfigurableProperties that switch Tacker's v2 Prometheus plugin
// on for an instance (SOL003 5.5.2.2): tacker/sol_refactored/common/
// prometheus_plugin.py acts on an auto_heal or auto_scale alert only when
// the instance's property is true.
const (
	AutohealProperty  = "isAutohealEnabled"
	AutoscaleProperty = "isAutoscaleEnabled"
)

// Scale directions of a ScaleVnfRequest.
const (
	ScaleOut = "SCALE_OUT"
	ScaleIn  = "SCALE_IN"
)

// CreateVnfRequest is the body of POST /vnflcm/v2/vnf_instances.
type CreateVnfRequest struct {
	VnfdID                 string `json:"vnfdId"`
	VnfInstanceName        string `json:"vnfInstanceName,omitempty"`
	VnfInstanceDescription string `json:"vnfInstanceDescription,omitempty"`
}

// InstantiateVnfRequest is the body of POST .../instantiate (SOL003
// 5.5.2.4, as tacker/sol_refactored/api/schemas/vnflcm_v2.py checks it).
// ExtVirtualLinks and AdditionalParams are passed through as given; the
// conductor merges VnfConfigurableProperties into the instance's
// (vnflcm_driver_v2.py instantiate_process).
type InstantiateVnfRequest struct {
	FlavourID                 string                       `json:"flavourId"`
	InstantiationLevelID      string                       `json:"instantiationLevelId,omitempty"`
	ExtVirtualLinks           []map[string]any             `json:"extVirtualLinks,omitempty"`
	VimConnectionInfo         map[string]VimConnectionInfo `json:"vimConnectionInfo,omitempty"`
	AdditionalParams          map[string]any               `json:"additionalParams,omitempty"`
	VnfConfigurableProperties map[string]any               `json:"vnfConfigurableProperties,omitempty"`
}

// VnfInfoModificationRequest is the body of PATCH .../vnf_instances/{id}
// (SOL003 5.5.2.12): a JSON merge patch (RFC 7396) of the instance, which
// the conductor applies as a MODIFY_INFO operation.
type VnfInfoModificationRequest struct {
	VnfConfigurableProperties map[string]any `json:"vnfConfigurableProperties,omitempty"`
}

// VimConnectionInfo says how Tacker reaches the VIM that hosts the VNF.
type VimConnectionInfo struct {
	VimType       string        `json:"vimType"`
	InterfaceInfo InterfaceInfo `json:"interfaceInfo"`
	AccessInfo    AccessInfo    `json:"accessInfo"`
}

// InterfaceInfo of an OpenStack VIM: its Keystone v3 URL.
type InterfaceInfo struct {
	Endpoint string `json:"endpoint"`
}

// AccessInfo of an OpenStack VIM. Tacker never shows the password again:
// its view of an instance drops it (SOL003 4.4.1.6).
type AccessInfo struct {
	Username      string `json:"username"`
	Password      string `json:"password,omitempty"`
	Project       string `json:"project"`
	ProjectDomain string `json:"projectDomain"`
	UserDomain    string `json:"userDomain"`
	Region        string `json:"region,omitempty"`
}

// ScaleVnfRequest is the body of POST .../scale. A package's UserData
// class usually needs its additionalParams (lcm-operation-user-data...)
// on every operation, not only at instantiation.
type ScaleVnfRequest struct {
	Type             string         `json:"type"`
	AspectID         string         `json:"aspectId"`
	NumberOfSteps    int            `json:"numberOfSteps"`
	AdditionalParams map[string]any `json:"additionalParams,omitempty"`
}

// HealVnfRequest is the body of POST .../heal. Without VnfcInstanceID,
// Tacker heals the whole VNF.
type HealVnfRequest struct {
	Cause            string         `json:"cause,omitempty"`
	VnfcInstanceID   []string       `json:"vnfcInstanceId,omitempty"`
	AdditionalParams map[string]any `json:"additionalParams,omitempty"`
}

// terminateRequest is always FORCEFUL: for a VNF built by Heat, GRACEFUL
// only makes Tacker sleep gracefulTerminationTimeout before it deletes the
// stack all the same (tacker/sol_refactored/infra_drivers/openstack).
type terminateRequest struct {
	TerminationType string `json:"terminationType"`
}

// VnfInstance is Tacker's view of a VNF instance.
type VnfInstance struct {
	ID                     string                       `json:"id"`
	VnfInstanceName        string                       `json:"vnfInstanceName,omitempty"`
	VnfInstanceDescription string                       `json:"vnfInstanceDescription,omitempty"`
	VnfdID                 string                       `json:"vnfdId"`
	VnfProvider            string                       `json:"vnfProvider"`
	VnfProductName         string                       `json:"vnfProductName"`
	VnfSoftwareVersion     string                       `json:"vnfSoftwareVersion"`
	VnfdVersion            string                       `json:"vnfdVersion"`
	InstantiationState     string                       `json:"instantiationState"`
	VimConnectionInfo      map[string]VimConnectionInfo `json:"vimConnectionInfo,omitempty"`
	InstantiatedVnfInfo    *InstantiatedVnfInfo         `json:"instantiatedVnfInfo,omitempty"`
	// VnfConfigurableProperties is absent until an instantiation or a
	// modification sets it: Tacker takes none from the VNFD.
	VnfConfigurableProperties map[string]any `json:"vnfConfigurableProperties,omitempty"`
}

// InstantiatedVnfInfo is what an instantiated VNF is made of.
type InstantiatedVnfInfo struct {
	FlavourID        string             `json:"flavourId"`
	VnfState         string             `json:"vnfState"`
	ScaleStatus      []ScaleInfo        `json:"scaleStatus,omitempty"`
	MaxScaleLevels   []ScaleInfo        `json:"maxScaleLevels,omitempty"`
	VnfcResourceInfo []VnfcResourceInfo `json:"vnfcResourceInfo,omitempty"`
	VnfcInfo         []VnfcInfo         `json:"vnfcInfo,omitempty"`
}

// ScaleInfo is the scale level of one aspect.
type ScaleInfo struct {
	AspectID   string `json:"aspectId"`
	ScaleLevel int    `json:"scaleLevel"`
}

// VnfcResourceInfo is one VNFC's compute resource: for an OpenStack VIM,
// a Nova server, whose id Tacker also uses as the VNFC resource's id.
type VnfcResourceInfo struct {
	ID              string         `json:"id"`
	VduID           string         `json:"vduId"`
	ComputeResource ResourceHandle `json:"computeResource"`
}

// ResourceHandle names a resource in the VIM.
type ResourceHandle struct {
	VimConnectionID      string `json:"vimConnectionId,omitempty"`
	ResourceID           string `json:"resourceId"`
	VimLevelResourceType string `json:"vimLevelResourceType,omitempty"`
}

// VnfcInfo is a VNFC as heal's vnfcInstanceId names it.
type VnfcInfo struct {
	ID                 string `json:"id"`
	VduID              string `json:"vduId"`
	VnfcResourceInfoID string `json:"vnfcResourceInfoId"`
	VnfcState          string `json:"vnfcState"`
}

// ScaleLevels maps each aspect to its current scale level.
func (i *VnfInstance) ScaleLevels() map[string]int {
	out := map[string]int{}
	if i.InstantiatedVnfInfo != nil {
		for _, s := range i.InstantiatedVnfInfo.ScaleStatus {
			out[s.AspectID] = s.ScaleLevel
		}
	}
	return out
}

// LcmOpOcc is one LCM operation occurrence.
type LcmOpOcc struct {
	ID             string          `json:"id"`
	OperationState string          `json:"operationState"`
	Operation      string          `json:"operation"`
	VnfInstanceID  string          `json:"vnfInstanceId"`
	Error          *ProblemDetails `json:"error,omitempty"`
}

// ProblemDetails is the ETSI error (SOL013 6.3): what went wrong, in
// Tacker's words.
type ProblemDetails struct {
	Type   string `json:"type,omitempty"`
	Title  string `json:"title,omitempty"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// OperationError is an LCM operation that did not complete.
type OperationError struct {
	OpOccID    string
	Operation  string // INSTANTIATE, SCALE, HEAL, TERMINATE, MODIFY_INFO
	InstanceID string
	State      string          // the last operationState seen
	Problem    *ProblemDetails // Tacker's error, when the operation failed
	After      time.Duration   // set when time ran out
}

func (e *OperationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tacker: %s of VNF instance %s ", e.Operation, e.InstanceID)
	if e.After > 0 {
		fmt.Fprintf(&b, "still %s after %s (operation %s): `openstack vnflcm op show %s --os-tacker-api-version 2` "+
			"and the tacker-conductor log say where it is", e.State, e.After, e.OpOccID, e.OpOccID)
		return b.String()
	}
	fmt.Fprintf(&b, "ended %s (operation %s)", e.State, e.OpOccID)
	if p := e.Problem; p != nil {
		b.WriteString(": ")
		if p.Title != "" {
			b.WriteString(p.Title + ": ")
		}
		b.WriteString(p.Detail)
	}
	if e.State == OpFailedTemp {
		fmt.Fprintf(&b, "; Tacker accepts no other operation on the instance until this one is rolled back or "+
			"marked failed (openstack vnflcm op rollback|fail %s --os-tacker-api-version 2)", e.OpOccID)
	}
	return b.String()
}

var lcmHeaders = map[string]string{"Version": LcmAPIVersion}

func lcmOpts(ok ...int) *gophercloud.RequestOpts {
	return &gophercloud.RequestOpts{OkCodes: ok, MoreHeaders: lcmHeaders}
}

func (c *Client) lcmURL(parts ...string) string {
	return c.sc.ServiceURL(append([]string{"vnflcm", "v2"}, parts...)...)
}

// CreateVnfInstance creates a NOT_INSTANTIATED instance of an ONBOARDED
// and ENABLED package's VNFD.
func (c *Client) CreateVnfInstance(ctx context.Context, req CreateVnfRequest) (*VnfInstance, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var out VnfInstance
	_, err := c.sc.Post(ctx, c.lcmURL("vnf_instances"), req, &out, lcmOpts(http.StatusCreated))
	if err != nil {
		return nil, apiError("create VNF instance of vnfdId "+quote(req.VnfdID), err)
	}
	return &out, nil
}

// GetVnfInstance reads an instance; an unknown id is ErrNotFound.
func (c *Client) GetVnfInstance(ctx context.Context, id string) (*VnfInstance, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var out VnfInstance
	_, err := c.sc.Get(ctx, c.lcmURL("vnf_instances", id), &out, lcmOpts(http.StatusOK))
	if err != nil {
		return nil, apiError("read VNF instance "+id, err)
	}
	return &out, nil
}

// DeleteVnfInstance deletes a NOT_INSTANTIATED instance; an unknown id is
// ErrNotFound.
func (c *Client) DeleteVnfInstance(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := c.sc.Delete(ctx, c.lcmURL("vnf_instances", id), lcmOpts(http.StatusNoContent))
	if err != nil {
		return apiError("delete VNF instance "+id, err)
	}
	return nil
}

// GetLcmOpOcc reads an LCM operation occurrence.
func (c *Client) GetLcmOpOcc(ctx context.Context, id string) (*LcmOpOcc, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var out LcmOpOcc
	_, err := c.sc.Get(ctx, c.lcmURL("vnf_lcm_op_occs", id), &out, lcmOpts(http.StatusOK))
	if err != nil {
		return nil, apiError("read LCM operation "+id, err)
	}
	return &out, nil
}

// InstantiateVnf instantiates the instance and waits until Tacker is done.
func (c *Client) InstantiateVnf(ctx context.Context, id string, req InstantiateVnfRequest) (*LcmOpOcc, error) {
	return c.operate(ctx, id, "instantiate", "INSTANTIATE", req)
}

// ScaleVnf scales one aspect out or in and waits until Tacker is done.
func (c *Client) ScaleVnf(ctx context.Context, id string, req ScaleVnfRequest) (*LcmOpOcc, error) {
	return c.operate(ctx, id, "scale", "SCALE", req)
}

// HealVnf heals the given VNFCs, or the whole VNF, and waits.
func (c *Client) HealVnf(ctx context.Context, id string, req HealVnfRequest) (*LcmOpOcc, error) {
	return c.operate(ctx, id, "heal", "HEAL", req)
}

// TerminateVnf terminates the instance (its Heat stack goes) and waits.
func (c *Client) TerminateVnf(ctx context.Context, id string) (*LcmOpOcc, error) {
	return c.operate(ctx, id, "terminate", "TERMINATE", terminateRequest{TerminationType: "FORCEFUL"})
}

// ModifyVnfInstance patches the instance and waits for its MODIFY_INFO
// operation. The SOL APIs make this PATCH application/merge-patch+json;
// Tacker also takes application/json for older clients (allowed_content_types
// in tacker/sol_refactored/controller/vnflcm_v2.py).
func (c *Client) ModifyVnfInstance(ctx context.Context, id string, req VnfInfoModificationRequest) (*LcmOpOcc, error) {
	opts := &gophercloud.RequestOpts{OkCodes: []int{http.StatusAccepted},
		MoreHeaders: map[string]string{"Version": LcmAPIVersion, "Content-Type": "application/merge-patch+json"}}
	return c.start(ctx, id, "MODIFY_INFO", func(ctx context.Context) (*http.Response, error) {
		return c.sc.Patch(ctx, c.lcmURL("vnf_instances", id), req, nil, opts)
	})
}

// operate starts an LCM operation with POST .../{action}.
func (c *Client) operate(ctx context.Context, id, action, operation string, body any) (*LcmOpOcc, error) {
	return c.start(ctx, id, operation, func(ctx context.Context) (*http.Response, error) {
		return c.sc.Post(ctx, c.lcmURL("vnf_instances", id, action), body, nil, lcmOpts(http.StatusAccepted))
	})
}

// start sends the request of an LCM operation, which Tacker accepts with
// 202 and the Location of its vnf_lcm_op_occ, and waits for that to end.
func (c *Client) start(ctx context.Context, id, operation string, send func(context.Context) (*http.Response, error)) (*LcmOpOcc, error) {
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	resp, err := send(callCtx)
	cancel()
	if err != nil {
		return nil, apiError(verb(operation)+" VNF instance "+id, err)
	}
	opID, err := opOccID(resp.Header.Get("Location"))
	if err != nil {
		return nil, fmt.Errorf("tacker: %s VNF instance %s: %w", verb(operation), id, err)
	}
	return c.WaitOperation(ctx, opID, operation, id)
}

// verb is an operation in words: MODIFY_INFO is "modify info".
func verb(operation string) string {
	return strings.ToLower(strings.ReplaceAll(operation, "_", " "))
}

// opOccID takes the operation's id from the Location header. Only the id:
// Tacker builds Location from its [v2_vnfm] endpoint setting, which is
// http://127.0.0.1:9890 unless the operator changed it, so its host may not
// be the one the client reaches Tacker at.
func opOccID(location string) (string, error) {
	u, err := url.Parse(location)
	if err != nil || location == "" {
		return "", fmt.Errorf("accepted without a usable Location header (%q)", location)
	}
	dir, id := path.Split(strings.TrimSuffix(u.Path, "/"))
	if path.Base(dir) != "vnf_lcm_op_occs" || id == "" {
		return "", fmt.Errorf("Location %q is not a vnf_lcm_op_occs URL", location)
	}
	return id, nil
}

// WaitOperation polls an operation occurrence until it ends: COMPLETED is
// success; FAILED_TEMP, FAILED or ROLLED_BACK is an *OperationError with
// Tacker's ProblemDetails, as is running out of time.
func (c *Client) WaitOperation(ctx context.Context, opID, operation, instanceID string) (*LcmOpOcc, error) {
	var last *LcmOpOcc
	var lastErr error
	start := time.Now()
	opErr := func(op *LcmOpOcc) *OperationError {
		e := &OperationError{OpOccID: opID, Operation: operation, InstanceID: instanceID, State: op.OperationState, Problem: op.Error}
		if op.Operation != "" {
			e.Operation = op.Operation
		}
		return e
	}
	err := c.waitFor(ctx, c.poll.Operation, func(ctx context.Context) (bool, error) {
		op, err := c.GetLcmOpOcc(ctx, opID)
		if errors.Is(err, ErrNotFound) {
			return false, err
		}
		if err != nil {
			lastErr = err
			return false, nil
		}
		last = op
		switch op.OperationState {
		case OpCompleted:
			return true, nil
		case OpFailedTemp, OpFailed, OpRolledBack:
			return false, opErr(op)
		}
		return false, nil
	})
	if errors.Is(err, errWaitTimeout) {
		switch {
		case last != nil:
			e := opErr(last)
			e.After = elapsed(start)
			return nil, e
		case lastErr != nil:
			return nil, lastErr
		}
	}
	if err != nil {
		return nil, err
	}
	return last, nil
}
