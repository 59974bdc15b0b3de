package tackertest

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// shape is the part of a JSON schema the stand-in checks request bodies
// against, transcribed from Tacker's: tacker/api/schemas/vnf_packages.py
// for vnfpkgm v1, tacker/sol_refactored/api/schemas/{vnflcm_v2,
// common_types}.py for vnflcm v2. Objects are closed (see the package
// comment); values, entries and anyMap are open.
type shape struct {
	kind     string // string, integer, boolean, object, array, keyvalue, any
	min, max int    // string length, integer range, array or object size; max 0 is no bound
	enum     []string
	props    map[string]shape // object: the keys it may hold
	required []string         // object: the keys it must hold
	values   *shape           // object: any key, each value of this shape
	items    *shape           // array
}

func str(min, max int) shape { return shape{kind: "string", min: min, max: max} }

var (
	identifier = str(1, 255)
	anyObject  = shape{kind: "object", values: &shape{kind: "any"}}
	// keyvalue is parameter_types.keyvalue_pairs: keys of a restricted
	// alphabet; values arrays, short strings, objects, null or booleans
	// (numbers are refused).
	keyvalue = shape{kind: "keyvalue"}
)

var keyvalueKey = regexp.MustCompile(`^[a-zA-Z0-9-_:. /]{1,255}$`)

func object(required []string, props map[string]shape) shape {
	return shape{kind: "object", props: props, required: required}
}

func arrayOf(item shape, minItems int) shape {
	return shape{kind: "array", items: &item, min: minItems}
}

// check returns what is wrong with v, in words close to jsonschema's, or "".
func (sh shape) check(where string, v any) string {
	kindErr := func(kind string) string { return fmt.Sprintf("%s: %s is not of type '%s'", where, show(v), kind) }
	switch sh.kind {
	case "any":
		return ""
	case "string":
		s, ok := v.(string)
		if !ok {
			return kindErr("string")
		}
		if len(s) < sh.min {
			return fmt.Sprintf("%s: '%s' is too short", where, s)
		}
		if sh.max > 0 && len(s) > sh.max {
			return fmt.Sprintf("%s: '%s' is too long", where, s)
		}
		if len(sh.enum) > 0 && !slices.Contains(sh.enum, s) {
			return fmt.Sprintf("%s: '%s' is not one of %s", where, s, strings.Join(sh.enum, ", "))
		}
	case "integer":
		f, ok := v.(float64)
		if !ok || f != float64(int(f)) {
			return kindErr("integer")
		}
		if int(f) < sh.min {
			return fmt.Sprintf("%s: %d is less than the minimum of %d", where, int(f), sh.min)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return kindErr("boolean")
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return kindErr("array")
		}
		if len(a) < sh.min {
			return fmt.Sprintf("%s: %s is too short", where, show(v))
		}
		for i, it := range a {
			if e := sh.items.check(fmt.Sprintf("%s[%d]", where, i), it); e != "" {
				return e
			}
		}
	case "keyvalue":
		m, ok := v.(map[string]any)
		if !ok {
			return kindErr("object")
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !keyvalueKey.MatchString(k) {
				return fmt.Sprintf("%s: additional property '%s' is not allowed (keys match %s)", where, k, keyvalueKey)
			}
			switch val := m[k].(type) {
			case []any, map[string]any, nil, bool:
			case string:
				if len(val) > 255 {
					return fmt.Sprintf("%s.%s: '%s' is too long", where, k, val)
				}
			default:
				return fmt.Sprintf("%s.%s: %s is not valid under any of the given schemas "+
					"(an array, a string, an object, null or a boolean)", where, k, show(val))
			}
		}
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return kindErr("object")
		}
		if len(m) < sh.min {
			return fmt.Sprintf("%s: %s does not have enough properties", where, show(v))
		}
		for _, k := range sh.required {
			if _, ok := m[k]; !ok {
				return fmt.Sprintf("%s: '%s' is a required property", where, k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			sub, known := sh.props[k]
			switch {
			case known:
			case sh.values != nil:
				sub = *sh.values
			default:
				return fmt.Sprintf("%s: unknown property '%s' (the stand-in accepts %s)", where, k, strings.Join(slices.Sorted(maps.Keys(sh.props)), ", "))
			}
			if e := sub.check(where+"."+k, m[k]); e != "" {
				return e
			}
		}
	}
	return ""
}

func show(v any) string {
	if s, ok := v.(string); ok {
		return "'" + s + "'"
	}
	return fmt.Sprintf("%v", v)
}

// The vnflcm v2 request bodies (SOL003 5.5.2 as Tacker transcribes it).
var (
	resourceHandle = object([]string{"resourceId"}, map[string]shape{
		"vimConnectionId": identifier, "resourceProviderId": identifier, "resourceId": identifier,
		"vimLevelResourceType": str(0, 255),
	})
	ipAddress = object([]string{"type"}, map[string]shape{
		"type": {kind: "string", enum: []string{"IPV4", "IPV6"}}, "fixedAddresses": arrayOf(str(0, 0), 0),
		"numDynamicAddresses": {kind: "integer", min: 1}, "addressRange": anyObject, "subnetId": identifier,
	})
	cpProtocolData = object([]string{"layerProtocol"}, map[string]shape{
		"layerProtocol": {kind: "string", enum: []string{"IP_OVER_ETHERNET"}},
		"ipOverEthernet": object(nil, map[string]shape{
			"macAddress": str(0, 0), "segmentationId": str(0, 0), "ipAddresses": arrayOf(ipAddress, 0),
		}),
	})
	vnfExtCpConfig = object(nil, map[string]shape{
		"parentCpConfigId": identifier, "linkPortId": identifier, "cpProtocolData": arrayOf(cpProtocolData, 0),
	})
	extVirtualLinkData = object([]string{"id", "resourceId", "extCps"}, map[string]shape{
		"id": identifier, "vimConnectionId": identifier, "resourceProviderId": identifier, "resourceId": identifier,
		"extCps": arrayOf(object([]string{"cpdId", "cpConfig"}, map[string]shape{
			"cpdId":    identifier,
			"cpConfig": {kind: "object", min: 1, values: &vnfExtCpConfig},
		}), 1),
		"extLinkPorts": arrayOf(object([]string{"id", "resourceHandle"}, map[string]shape{
			"id": identifier, "resourceHandle": resourceHandle,
		}), 0),
	})
	vimConnectionInfo = object([]string{"vimType"}, map[string]shape{
		"vimId": str(0, 255), "vimType": identifier,
		"interfaceInfo": anyObject, "accessInfo": anyObject, "extra": anyObject,
	})

	// configurableProperties are the two vnfConfigurableProperties SOL003
	// 5.5.2.2 defines. Tacker takes any keyvalue_pairs there; the stand-in
	// takes only these, as booleans, so that a misspelt one fails.
	configurableProperties = object(nil, map[string]shape{
		"isAutohealEnabled": {kind: "boolean"}, "isAutoscaleEnabled": {kind: "boolean"},
	})

	createVnfRequest = object([]string{"vnfdId"}, map[string]shape{
		"vnfdId": identifier, "vnfInstanceName": str(0, 255), "vnfInstanceDescription": str(0, 1024),
		"metadata": keyvalue,
	})
	instantiateVnfRequest = object([]string{"flavourId"}, map[string]shape{
		"flavourId": identifier, "instantiationLevelId": identifier,
		"extVirtualLinks":        arrayOf(extVirtualLinkData, 0),
		"extManagedVirtualLinks": arrayOf(anyObject, 0),
		"vimConnectionInfo":      {kind: "object", values: &vimConnectionInfo},
		"localizationLanguage":   str(0, 255),
		"additionalParams":       keyvalue, "extensions": keyvalue, "vnfConfigurableProperties": configurableProperties,
	})
	// vnfInfoModificationRequest is the part of VnfInfoModificationRequest_V200
	// the stand-in carries out; Tacker also takes vnfdId, metadata,
	// extensions, vimConnectionInfo and vnfcInfoModifications.
	vnfInfoModificationRequest = object(nil, map[string]shape{
		"vnfInstanceName": str(0, 255), "vnfInstanceDescription": str(0, 1024),
		"vnfConfigurableProperties": configurableProperties,
	})
	terminateVnfRequest = object([]string{"terminationType"}, map[string]shape{
		"terminationType":            {kind: "string", enum: []string{"FORCEFUL", "GRACEFUL"}},
		"gracefulTerminationTimeout": {kind: "integer", min: 1},
		"additionalParams":           keyvalue,
	})
	scaleVnfRequest = object([]string{"type", "aspectId"}, map[string]shape{
		"type":             {kind: "string", enum: []string{"SCALE_OUT", "SCALE_IN"}},
		"aspectId":         identifier,
		"numberOfSteps":    {kind: "integer", min: 1},
		"additionalParams": keyvalue,
	})
	healVnfRequest = object(nil, map[string]shape{
		"cause": str(0, 255), "additionalParams": keyvalue,
		"vnfcInstanceId": arrayOf(identifier, 0), "healScript": str(0, 255),
	})
)

// The vnfpkgm v1 request bodies; these objects are closed in Tacker too.
var (
	createPackageRequest = object(nil, map[string]shape{"userDefinedData": keyvalue})
	patchPackageRequest  = object(nil, map[string]shape{
		"operationalState": {kind: "string", enum: []string{"ENABLED", "DISABLED"}},
		"userDefinedData":  keyvalue,
	})
)
