/** The APIRule converter the conversion webhook serves: `convertAPIRule` of api/conversion. */
import { convertAPIRule } from "../api/conversion/mod.ts";
import type { Converter } from "./conversion_review.ts";

/** Converts one APIRule of a ConversionReview; errors name the object and the field. */
export const apiruleConverter: Converter = (object, toApiVersion) => {
  const result = convertAPIRule(object, toApiVersion);
  return result.ok ? result : { ok: false, error: { message: result.error.message } };
};
