package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker"
)

// VnfInstance is a VNF instantiated by Tacker from an onboarded package
// (tacker:index:VnfInstance).
type VnfInstance struct{}

// VnfInstanceArgs are the inputs. scaleLevels, healGeneration,
// healVnfcIds, lcmAdditionalParams, autoHeal and autoScale change in
// place; every other input replaces the instance.
type VnfInstanceArgs struct {
	VnfdID               string                       `pulumi:"vnfdId" provider:"replaceOnChanges"`
	Name                 string                       `pulumi:"name,optional" provider:"replaceOnChanges"`
	Description          string                       `pulumi:"description,optional" provider:"replaceOnChanges"`
	FlavourID            string                       `pulumi:"flavourId" provider:"replaceOnChanges"`
	InstantiationLevelID string                       `pulumi:"instantiationLevelId,optional" provider:"replaceOnChanges"`
	VimConnectionInfo    map[string]VimConnectionInfo `pulumi:"vimConnectionInfo,optional" provider:"replaceOnChanges,secret"`
	ExtVirtualLinks      []map[string]any             `pulumi:"extVirtualLinks,optional" provider:"replaceOnChanges"`
	AdditionalParams     map[string]any               `pulumi:"additionalParams,optional" provider:"replaceOnChanges,secret"`
	LcmAdditionalParams  map[string]any               `pulumi:"lcmAdditionalParams,optional" provider:"secret"`
	ScaleLevels          map[string]int               `pulumi:"scaleLevels,optional"`
	HealGeneration       int                          `pulumi:"healGeneration,optional"`
	HealVnfcIDs          []string                     `pulumi:"healVnfcIds,optional"`
	AutoHeal             *bool                        `pulumi:"autoHeal,optional"`
	AutoScale            *bool                        `pulumi:"autoScale,optional"`
}

// VimConnectionInfo is how Tacker reaches the OpenStack that hosts the VNF.
type VimConnectionInfo struct {
	VimType       string           `pulumi:"vimType,optional"`
	InterfaceInfo VimInterfaceInfo `pulumi:"interfaceInfo"`
	AccessInfo    VimAccessInfo    `pulumi:"accessInfo"`
}

// VimInterfaceInfo is the VIM's Keystone.
type VimInterfaceInfo struct {
	Endpoint string `pulumi:"endpoint"`
}

// VimAccessInfo are the credentials Tacker uses on the VIM. The password
// is kept secret by vimConnectionInfo being secret as a whole: for a
// struct nested in a map, infer v1.5.0 puts the secret mark of its field
// back on another field of the outputs.
type VimAccessInfo struct {
	Username      string `pulumi:"username"`
	Password      string `pulumi:"password"`
	Project       string `pulumi:"project"`
	ProjectDomain string `pulumi:"projectDomain,optional"`
	UserDomain    string `pulumi:"userDomain,optional"`
	Region        string `pulumi:"region,optional"`
}

// VnfInstanceState is what Pulumi keeps: the inputs and what Tacker built.
type VnfInstanceState struct {
	VnfInstanceArgs
	InstantiationState string         `pulumi:"instantiationState"`
	VnfcResourceInfo   []VnfcResource `pulumi:"vnfcResourceInfo"`
	ScaleStatus        map[string]int `pulumi:"scaleStatus"`
}

// VnfcResource is one VNFC and its Nova server.
type VnfcResource struct {
	ID                string `pulumi:"id"`
	VduID             string `pulumi:"vduId"`
	ComputeResourceID string `pulumi:"computeResourceId"`
}

// Annotate documents the resource and sets its token.
func (v *VnfInstance) Annotate(a infer.Annotator) {
	a.SetToken("index", "VnfInstance")
	a.Describe(&v, "A VNF instance Tacker builds from an onboarded VnfPackage through vnflcm v2: created, instantiated "+
		"(its Heat stack made), then scaled to scaleLevels; every operation is waited on until Tacker reports it "+
		"COMPLETED. A change of scaleLevels scales each aspect out or in to its level; a change of healGeneration heals "+
		"the VNFCs of healVnfcIds (the whole VNF when empty); any other change replaces the instance, the old one "+
		"terminated and deleted first. An operation that fails is an error with Tacker's own words; one left "+
		"FAILED_TEMP blocks the instance until an operator rolls it back or marks it failed "+
		"(openstack vnflcm op rollback|fail ID --os-tacker-api-version 2), after which the next update carries on. "+
		"autoHeal and autoScale are the instance's vnfConfigurableProperties isAutohealEnabled and isAutoscaleEnabled, "+
		"sent at instantiation and changed in place by a modification (PATCH, MODIFY_INFO); Tacker's Prometheus plugin "+
		"heals or scales the instance on alerts only while they are true. "+
		"Delete terminates (FORCEFUL: Heat deletes the stack) and deletes the instance.")
}

// Annotate documents the inputs.
func (a *VnfInstanceArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.VnfdID, "vnfdId of an ONBOARDED and ENABLED package, such as a VnfPackage's vnfdId output.")
	an.Describe(&a.Name, "vnfInstanceName; defaults to the resource's name.")
	an.Describe(&a.Description, "vnfInstanceDescription.")
	an.Describe(&a.FlavourID, "The VNFD's deployment flavour to instantiate.")
	an.Describe(&a.InstantiationLevelID, "The flavour's instantiation level; empty takes the flavour's default level.")
	an.Describe(&a.VimConnectionInfo, "VIMs to instantiate on, by a key of your choosing (vim1); none uses Tacker's default VIM. "+
		"Secret, as it holds the VIM's password.")
	an.Describe(&a.ExtVirtualLinks, "extVirtualLinks of the InstantiateVnfRequest, passed to Tacker as given (SOL003 ExtVirtualLinkData).")
	an.Describe(&a.AdditionalParams, "additionalParams of the InstantiateVnfRequest (secret: packages pass user data and keys there). "+
		"Tacker takes no numbers and no strings longer than 255 characters at its top level: nest them in an object.")
	an.Describe(&a.LcmAdditionalParams, "additionalParams of every scale and heal request: a package's UserData class usually "+
		"needs lcm-operation-user-data and lcm-operation-user-data-class there too. Secret, with the rules of additionalParams.")
	an.Describe(&a.ScaleLevels, "Desired scale level of each aspect (the VNFD's ScalingAspects): a change scales the "+
		"instance out or in to it; aspects left out stay where they are.")
	an.Describe(&a.HealGeneration, "Bump it (any change) to heal: POST heal with healVnfcIds, and wait.")
	an.Describe(&a.HealVnfcIDs, "VNFCs a heal replaces, by vnfcInfo id (VDU-serverId), vnfcResourceInfo id or Nova server id "+
		"(computeResourceId); empty heals the whole VNF. A change alone heals nothing.")
	an.Describe(&a.AutoHeal, "isAutohealEnabled of the instance's vnfConfigurableProperties: whether Tacker heals a VNFC on the "+
		"auto_heal alerts of its Prometheus plugin ([prometheus_plugin] auto_healing in tacker.conf). Left out, nothing is sent "+
		"and Tacker's value stays as it is.")
	an.Describe(&a.AutoScale, "isAutoscaleEnabled of the instance's vnfConfigurableProperties: whether Tacker scales an aspect on "+
		"the auto_scale alerts of its Prometheus plugin ([prometheus_plugin] auto_scaling in tacker.conf). Left out, nothing "+
		"is sent and Tacker's value stays as it is.")
}

// Annotate documents the VIM connection.
func (v *VimConnectionInfo) Annotate(a infer.Annotator) {
	a.SetToken("index", "VimConnectionInfo")
	a.Describe(&v.VimType, "Only "+tacker.VimTypeOpenStack+" (the default): Heat builds the VNF.")
	a.SetDefault(&v.VimType, tacker.VimTypeOpenStack)
	a.Describe(&v.InterfaceInfo, "Where the VIM's Keystone is.")
	a.Describe(&v.AccessInfo, "The credentials Tacker uses on the VIM.")
}

// Annotate documents the interface.
func (v *VimInterfaceInfo) Annotate(a infer.Annotator) {
	a.SetToken("index", "VimInterfaceInfo")
	a.Describe(&v.Endpoint, "Keystone v3 URL of the VIM, such as http://192.0.2.5/identity/v3.")
}

// Annotate documents the credentials.
func (v *VimAccessInfo) Annotate(a infer.Annotator) {
	a.SetToken("index", "VimAccessInfo")
	a.Describe(&v.Username, "User on the VIM.")
	a.Describe(&v.Password, "Its password; Tacker never shows it again.")
	a.Describe(&v.Project, "Project the VNF's resources belong to.")
	a.Describe(&v.ProjectDomain, "Domain of the project.")
	a.SetDefault(&v.ProjectDomain, "Default")
	a.Describe(&v.UserDomain, "Domain of the user.")
	a.SetDefault(&v.UserDomain, "Default")
	a.Describe(&v.Region, "Region of the VIM's endpoints.")
}

// Annotate documents the outputs.
func (s *VnfInstanceState) Annotate(a infer.Annotator) {
	a.Describe(&s.InstantiationState, "INSTANTIATED, or NOT_INSTANTIATED after a failed or a manual termination.")
	a.Describe(&s.VnfcResourceInfo, "The VNFCs and their Nova servers, as Tacker last reported them.")
	a.Describe(&s.ScaleStatus, "Current scale level of each aspect.")
}

// Annotate documents a VNFC.
func (v *VnfcResource) Annotate(a infer.Annotator) {
	a.SetToken("index", "VnfcResourceInfo")
	a.Describe(&v.ID, "vnfcResourceInfo id.")
	a.Describe(&v.VduID, "The VDU the VNFC is of.")
	a.Describe(&v.ComputeResourceID, "The Nova server's id.")
}

// Check refuses bad input before any call to Tacker; what is not yet
// known at preview is checked when it is.
func (*VnfInstance) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[VnfInstanceArgs], error) {
	if v, ok := req.NewInputs.GetOk("name"); !ok || (v.IsString() && v.AsString() == "") {
		req.NewInputs = req.NewInputs.Set("name", property.New(req.Name))
	}
	args, failures, err := infer.DefaultCheck[VnfInstanceArgs](ctx, req.NewInputs)
	if err != nil {
		return infer.CheckResponse[VnfInstanceArgs]{}, err
	}
	known := func(k string) bool {
		v, ok := req.NewInputs.GetOk(k)
		return ok && !v.IsComputed()
	}
	fail := func(prop, format string, a ...any) {
		failures = append(failures, p.CheckFailure{Property: prop, Reason: fmt.Sprintf(format, a...)})
	}
	identifier := func(prop, v string, required bool) {
		switch {
		case v == "" && required:
			fail(prop, "%s is empty: Tacker needs it", prop)
		case len(v) > 255:
			fail(prop, "%s is %d characters long; Tacker takes at most 255", prop, len(v))
		}
	}

	if known("vnfdId") {
		identifier("vnfdId", args.VnfdID, true)
	}
	if known("flavourId") {
		identifier("flavourId", args.FlavourID, true)
	}
	if known("instantiationLevelId") {
		identifier("instantiationLevelId", args.InstantiationLevelID, false)
	}
	if known("name") {
		identifier("name", args.Name, false)
	}
	if known("description") && len(args.Description) > 1024 {
		fail("description", "description is %d characters long; Tacker takes at most 1024", len(args.Description))
	}
	if known("vimConnectionInfo") {
		for _, key := range slices.Sorted(maps.Keys(args.VimConnectionInfo)) {
			checkVim(fail, "vimConnectionInfo."+key, args.VimConnectionInfo[key])
		}
	}
	if known("extVirtualLinks") {
		for i, l := range args.ExtVirtualLinks {
			for _, k := range []string{"id", "resourceId", "extCps"} {
				if v, ok := l[k]; !ok || v == "" || v == nil {
					fail("extVirtualLinks", "extVirtualLinks[%d] has no %s: an ExtVirtualLinkData needs id, resourceId and extCps", i, k)
				}
			}
		}
	}
	for _, prop := range []string{"additionalParams", "lcmAdditionalParams"} {
		m := args.AdditionalParams
		if prop == "lcmAdditionalParams" {
			m = args.LcmAdditionalParams
		}
		if key, reason := tacker.KeyValueProblem(m); known(prop) && reason != "" {
			fail(prop, "%s[%q] is %s", prop, key, reason)
		}
	}
	if known("scaleLevels") {
		for _, aspect := range slices.Sorted(maps.Keys(args.ScaleLevels)) {
			if level := args.ScaleLevels[aspect]; level < 0 {
				fail("scaleLevels", "scaleLevels[%q] is %d: a scale level is 0 or more, up to the aspect's max_scale_level", aspect, level)
			}
		}
	}
	if known("healGeneration") && args.HealGeneration < 0 {
		fail("healGeneration", "healGeneration is %d: it counts heals, from 0", args.HealGeneration)
	}
	if known("healVnfcIds") && slices.Contains(args.HealVnfcIDs, "") {
		fail("healVnfcIds", "healVnfcIds holds an empty id: give vnfcInfo ids, vnfcResourceInfo ids or Nova server ids")
	}
	return infer.CheckResponse[VnfInstanceArgs]{Inputs: args, Failures: failures}, nil
}

func checkVim(fail func(prop, format string, a ...any), prop string, v VimConnectionInfo) {
	if v.VimType != tacker.VimTypeOpenStack {
		fail("vimConnectionInfo", "%s.vimType %q is not supported: only %s, an OpenStack whose Heat builds the VNF", prop, v.VimType, tacker.VimTypeOpenStack)
	}
	if u, err := url.Parse(v.InterfaceInfo.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fail("vimConnectionInfo", "%s.interfaceInfo.endpoint %q is not the URL of a Keystone, such as http://192.0.2.5/identity/v3", prop, v.InterfaceInfo.Endpoint)
	}
	for field, value := range map[string]string{"username": v.AccessInfo.Username, "password": v.AccessInfo.Password, "project": v.AccessInfo.Project} {
		if value == "" {
			fail("vimConnectionInfo", "%s.accessInfo.%s is empty: Tacker needs it to reach the VIM", prop, field)
		}
	}
}

// switches are the vnfConfigurableProperties the inputs set.
func (a VnfInstanceArgs) switches() map[string]bool {
	out := map[string]bool{}
	if a.AutoHeal != nil {
		out[tacker.AutohealProperty] = *a.AutoHeal
	}
	if a.AutoScale != nil {
		out[tacker.AutoscaleProperty] = *a.AutoScale
	}
	return out
}

func (a VnfInstanceArgs) instantiateRequest() tacker.InstantiateVnfRequest {
	req := tacker.InstantiateVnfRequest{
		FlavourID: a.FlavourID, InstantiationLevelID: a.InstantiationLevelID,
		ExtVirtualLinks: a.ExtVirtualLinks, AdditionalParams: a.AdditionalParams,
	}
	for prop, on := range a.switches() {
		if req.VnfConfigurableProperties == nil {
			req.VnfConfigurableProperties = map[string]any{}
		}
		req.VnfConfigurableProperties[prop] = on
	}
	if len(a.VimConnectionInfo) > 0 {
		req.VimConnectionInfo = map[string]tacker.VimConnectionInfo{}
		for k, v := range a.VimConnectionInfo {
			req.VimConnectionInfo[k] = tacker.VimConnectionInfo{
				VimType:       v.VimType,
				InterfaceInfo: tacker.InterfaceInfo{Endpoint: v.InterfaceInfo.Endpoint},
				AccessInfo: tacker.AccessInfo{Username: v.AccessInfo.Username, Password: v.AccessInfo.Password,
					Project: v.AccessInfo.Project, ProjectDomain: v.AccessInfo.ProjectDomain,
					UserDomain: v.AccessInfo.UserDomain, Region: v.AccessInfo.Region},
			}
		}
	}
	return req
}

// instanceState is the new state: the inputs, and what Tacker shows.
func instanceState(in VnfInstanceArgs, inst *tacker.VnfInstance) VnfInstanceState {
	s := VnfInstanceState{VnfInstanceArgs: in, InstantiationState: inst.InstantiationState,
		VnfcResourceInfo: []VnfcResource{}, ScaleStatus: inst.ScaleLevels()}
	if info := inst.InstantiatedVnfInfo; info != nil {
		for _, v := range info.VnfcResourceInfo {
			s.VnfcResourceInfo = append(s.VnfcResourceInfo, VnfcResource{ID: v.ID, VduID: v.VduID, ComputeResourceID: v.ComputeResource.ResourceID})
		}
	}
	return s
}

// converge brings the instance to what the inputs ask: instantiated (after
// a failed instantiation, once an operator has cleared it), each aspect of
// scaleLevels at its level, healed if healGeneration moved since prior,
// and autoHeal and autoScale as set. A switch turned off is modified
// before the scale and the heal, one turned on after them, so that Tacker
// starts no operation of its own that would make it refuse these.
func converge(ctx context.Context, c *tacker.Client, id string, in VnfInstanceArgs, prior *VnfInstanceArgs) error {
	inst, err := c.GetVnfInstance(ctx, id)
	if err != nil {
		return err
	}
	if inst.InstantiationState != tacker.Instantiated {
		if _, err := c.InstantiateVnf(ctx, id, in.instantiateRequest()); err != nil {
			return err
		}
		if inst, err = c.GetVnfInstance(ctx, id); err != nil {
			return err
		}
	}
	off, on := switchChanges(inst, in)
	if err := modify(ctx, c, id, off); err != nil {
		return err
	}
	if err := scale(ctx, c, inst, in); err != nil {
		return err
	}
	if prior != nil && prior.HealGeneration != in.HealGeneration {
		if inst, err = c.GetVnfInstance(ctx, id); err != nil {
			return err
		}
		vnfcs, err := healTargets(inst, in.HealVnfcIDs)
		if err != nil {
			return err
		}
		if _, err := c.HealVnf(ctx, id, tacker.HealVnfRequest{VnfcInstanceID: vnfcs, AdditionalParams: in.LcmAdditionalParams}); err != nil {
			return err
		}
	}
	return modify(ctx, c, id, on)
}

// switchChanges are the switches whose value in Tacker is not the input's
// (a property Tacker lacks, or holds as other than a boolean, counts as
// such), split into those to turn off and those to turn on.
func switchChanges(inst *tacker.VnfInstance, in VnfInstanceArgs) (off, on map[string]any) {
	off, on = map[string]any{}, map[string]any{}
	for prop, want := range in.switches() {
		if have, ok := inst.VnfConfigurableProperties[prop]; ok && have == want {
			continue
		}
		if want {
			on[prop] = true
		} else {
			off[prop] = false
		}
	}
	return off, on
}

// modify merges props into the instance's vnfConfigurableProperties.
func modify(ctx context.Context, c *tacker.Client, id string, props map[string]any) error {
	if len(props) == 0 {
		return nil
	}
	_, err := c.ModifyVnfInstance(ctx, id, tacker.VnfInfoModificationRequest{VnfConfigurableProperties: props})
	return err
}

// scale moves each aspect of scaleLevels to its level, in aspect order.
func scale(ctx context.Context, c *tacker.Client, inst *tacker.VnfInstance, in VnfInstanceArgs) error {
	if len(in.ScaleLevels) == 0 {
		return nil
	}
	if inst.InstantiatedVnfInfo == nil {
		return fmt.Errorf("VNF instance %s has no instantiatedVnfInfo to scale", inst.ID)
	}
	have := inst.ScaleLevels()
	top := map[string]int{}
	for _, s := range inst.InstantiatedVnfInfo.MaxScaleLevels {
		top[s.AspectID] = s.ScaleLevel
	}
	for _, aspect := range slices.Sorted(maps.Keys(in.ScaleLevels)) {
		want := in.ScaleLevels[aspect]
		level, ok := have[aspect]
		switch {
		case !ok:
			return fmt.Errorf("scaleLevels[%q]: the instance has no such aspect; its aspects are %s", aspect, strings.Join(slices.Sorted(maps.Keys(have)), ", "))
		case want > top[aspect]:
			return fmt.Errorf("scaleLevels[%q] is %d, above the aspect's max_scale_level %d", aspect, want, top[aspect])
		case want == level:
			continue
		}
		req := tacker.ScaleVnfRequest{Type: tacker.ScaleOut, AspectID: aspect, NumberOfSteps: want - level, AdditionalParams: in.LcmAdditionalParams}
		if want < level {
			req.Type, req.NumberOfSteps = tacker.ScaleIn, level-want
		}
		if _, err := c.ScaleVnf(ctx, inst.ID, req); err != nil {
			return err
		}
	}
	return nil
}

// healTargets turns healVnfcIds into the vnfcInfo ids heal takes. Server
// ids change with every heal, so any of a VNFC's ids is accepted.
func healTargets(inst *tacker.VnfInstance, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	info := inst.InstantiatedVnfInfo
	if info == nil {
		return nil, fmt.Errorf("healVnfcIds: VNF instance %s is not instantiated", inst.ID)
	}
	server := map[string]string{}
	for _, r := range info.VnfcResourceInfo {
		server[r.ID] = r.ComputeResource.ResourceID
	}
	var out, unknown, known []string
	for _, id := range ids {
		i := slices.IndexFunc(info.VnfcInfo, func(v tacker.VnfcInfo) bool {
			return id == v.ID || id == v.VnfcResourceInfoID || id == server[v.VnfcResourceInfoID]
		})
		if i < 0 {
			unknown = append(unknown, id)
			continue
		}
		out = append(out, info.VnfcInfo[i].ID)
	}
	if len(unknown) > 0 {
		for _, v := range info.VnfcInfo {
			known = append(known, fmt.Sprintf("%s (server %s)", v.ID, server[v.VnfcResourceInfoID]))
		}
		return nil, fmt.Errorf("healVnfcIds: %s are not VNFCs of instance %s, which has %s",
			strings.Join(unknown, ", "), inst.ID, strings.Join(known, ", "))
	}
	return out, nil
}

// Create creates the instance and converges it. Once Tacker holds the
// instance, a failure keeps it in the state (initialization failed), so
// that the next update carries on where this one stopped and a destroy
// removes it.
func (*VnfInstance) Create(ctx context.Context, req infer.CreateRequest[VnfInstanceArgs]) (infer.CreateResponse[VnfInstanceState], error) {
	if req.DryRun {
		return infer.CreateResponse[VnfInstanceState]{Output: VnfInstanceState{VnfInstanceArgs: req.Inputs}}, nil
	}
	c, err := infer.GetConfig[Config](ctx).client(ctx)
	if err != nil {
		return infer.CreateResponse[VnfInstanceState]{}, err
	}
	in := req.Inputs
	inst, err := c.CreateVnfInstance(ctx, tacker.CreateVnfRequest{VnfdID: in.VnfdID, VnfInstanceName: in.Name, VnfInstanceDescription: in.Description})
	if err != nil {
		return infer.CreateResponse[VnfInstanceState]{}, err
	}
	failed := converge(ctx, c, inst.ID, in, nil)
	if now, err := c.GetVnfInstance(ctx, inst.ID); err == nil {
		inst = now
	}
	resp := infer.CreateResponse[VnfInstanceState]{ID: inst.ID, Output: instanceState(in, inst)}
	if failed != nil {
		return resp, infer.ResourceInitFailedError{Reasons: []string{failed.Error()}}
	}
	return resp, nil
}

// Update scales, heals and modifies as the inputs ask. On failure Pulumi keeps the
// old state, so the next update tries again what is still to do.
func (*VnfInstance) Update(ctx context.Context, req infer.UpdateRequest[VnfInstanceArgs, VnfInstanceState]) (infer.UpdateResponse[VnfInstanceState], error) {
	if req.DryRun {
		s := req.State
		s.VnfInstanceArgs = req.Inputs
		return infer.UpdateResponse[VnfInstanceState]{Output: s}, nil
	}
	c, err := infer.GetConfig[Config](ctx).client(ctx)
	if err != nil {
		return infer.UpdateResponse[VnfInstanceState]{}, err
	}
	if err := converge(ctx, c, req.ID, req.Inputs, &req.State.VnfInstanceArgs); err != nil {
		return infer.UpdateResponse[VnfInstanceState]{}, err
	}
	inst, err := c.GetVnfInstance(ctx, req.ID)
	if err != nil {
		return infer.UpdateResponse[VnfInstanceState]{}, err
	}
	return infer.UpdateResponse[VnfInstanceState]{Output: instanceState(req.Inputs, inst)}, nil
}

// Read is the refresh: name, description, vnfdId, flavour, the levels
// of scaleLevels' aspects and the switches the inputs set come from
// Tacker, so that a manual scale or modification shows as drift; a
// terminated instance loses its flavourId, which replaces it.
// Tacker does not show what it was instantiated with (the VIM password,
// the links, the params): those stay as they were.
func (*VnfInstance) Read(ctx context.Context, req infer.ReadRequest[VnfInstanceArgs, VnfInstanceState]) (infer.ReadResponse[VnfInstanceArgs, VnfInstanceState], error) {
	c, err := infer.GetConfig[Config](ctx).client(ctx)
	if err != nil {
		return infer.ReadResponse[VnfInstanceArgs, VnfInstanceState]{}, err
	}
	inst, err := c.GetVnfInstance(ctx, req.ID)
	if errors.Is(err, tacker.ErrNotFound) {
		return infer.ReadResponse[VnfInstanceArgs, VnfInstanceState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[VnfInstanceArgs, VnfInstanceState]{}, err
	}
	in := req.Inputs
	if in.VnfdID == "" {
		in = req.State.VnfInstanceArgs
	}
	in.VnfdID, in.Name, in.Description, in.FlavourID = inst.VnfdID, inst.VnfInstanceName, inst.VnfInstanceDescription, ""
	if inst.InstantiatedVnfInfo != nil {
		in.FlavourID = inst.InstantiatedVnfInfo.FlavourID
	}
	if len(in.ScaleLevels) > 0 {
		have := inst.ScaleLevels()
		levels := map[string]int{}
		for aspect, want := range in.ScaleLevels {
			levels[aspect] = want
			if level, ok := have[aspect]; ok {
				levels[aspect] = level
			}
		}
		in.ScaleLevels = levels
	}
	// Read as converge compares: only a boolean true is on; anything else
	// shows as off and is set again by the next update.
	if in.AutoHeal != nil {
		in.AutoHeal = ptr(inst.VnfConfigurableProperties[tacker.AutohealProperty] == true)
	}
	if in.AutoScale != nil {
		in.AutoScale = ptr(inst.VnfConfigurableProperties[tacker.AutoscaleProperty] == true)
	}
	s := instanceState(in, inst)
	return infer.ReadResponse[VnfInstanceArgs, VnfInstanceState]{ID: inst.ID, Inputs: in, State: s}, nil
}

// Delete terminates the instance if it is instantiated, then deletes it;
// one already gone is fine.
func (*VnfInstance) Delete(ctx context.Context, req infer.DeleteRequest[VnfInstanceState]) (infer.DeleteResponse, error) {
	c, err := infer.GetConfig[Config](ctx).client(ctx)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	inst, err := c.GetVnfInstance(ctx, req.ID)
	if errors.Is(err, tacker.ErrNotFound) {
		return infer.DeleteResponse{}, nil
	}
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	if inst.InstantiationState == tacker.Instantiated {
		if _, err := c.TerminateVnf(ctx, req.ID); err != nil {
			return infer.DeleteResponse{}, err
		}
	}
	if err := c.DeleteVnfInstance(ctx, req.ID); err != nil && !errors.Is(err, tacker.ErrNotFound) {
		return infer.DeleteResponse{}, err
	}
	return infer.DeleteResponse{}, nil
}

func ptr[T any](v T) *T { return &v }
